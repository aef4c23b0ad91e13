// Reading back when the pull secret's token expires, for the heartbeat and the expiry metric.
import type { ClusterPort } from '../ports.ts';
import { DEFAULT_PULL_SECRET_NAME } from './pull-secret.ts';
import { readPullSecretRecord } from './pull-secret-record.ts';

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
  return (await readPullSecretRecord(cluster, { namespace, name: secretName })).ecrCredentialsExpireAt;
}

/** Hours until `expiresAt` (negative once expired), for the expiry metric. */
export function hoursUntil(expiresAt: string | Date, now: Date): number {
  return (new Date(expiresAt).getTime() - now.getTime()) / 3_600_000;
}
