// Reading back when the pull secret's token expires, for the heartbeat and the expiry metric.
import { RESOURCES } from '../ports.ts';
import type { ClusterPort } from '../ports.ts';
import { DEFAULT_PULL_SECRET_NAME, REGISTRY_CREDENTIALS_ANNOTATIONS } from './pull-secret.ts';

/**
 * When the registry token in the pull secret expires, for the heartbeat's `runnerStatus` event
 * (`ecrCredentialsExpireAt`). `undefined` when the secret or its annotation is absent or unreadable;
 * cluster errors propagate so the caller can log them. Reads metadata only: the heartbeat needs the
 * annotation, not the registry credentials in the secret's data.
 */
export async function readEcrCredentialsExpireAt(
  cluster: ClusterPort,
  namespace: string,
  secretName: string = DEFAULT_PULL_SECRET_NAME,
): Promise<Date | undefined> {
  const metadata = await cluster.getMetadata(RESOURCES.secret, namespace, secretName);
  const value = metadata?.annotations?.[REGISTRY_CREDENTIALS_ANNOTATIONS.expiresAt];
  if (!value || Number.isNaN(Date.parse(value))) return undefined;
  return new Date(value);
}

/** Hours until `expiresAt` (negative once expired), for the expiry metric. */
export function hoursUntil(expiresAt: string | Date, now: Date): number {
  return (new Date(expiresAt).getTime() - now.getTime()) / 3_600_000;
}
