// What the registry refresh records on the ingestion namespace's pull secret (its annotations): when the
// token expires, and which namespaces it targeted. The heartbeat needs both every beat, from one metadata
// read (no Secret data: the annotations are on the metadata).
import { RESOURCES } from '../ports.ts';
import type { ClusterPort, ObjectMeta } from '../ports.ts';
import { REGISTRY_CREDENTIALS_ANNOTATIONS } from './pull-secret.ts';

/** Where a pull secret lives. */
export interface PullSecretLocation {
  namespace: string;
  name: string;
}

export interface PullSecretRecord {
  /** When the registry token expires; undefined when the secret or its annotation is absent or invalid. */
  ecrCredentialsExpireAt?: Date;
  /** The namespaces the last refresh targeted; undefined when the secret or its record is absent. */
  targetedNamespaces?: Set<string>;
}

/** One metadata read of the pull secret; cluster errors propagate so the caller can log them. */
export async function readPullSecretRecord(
  cluster: ClusterPort,
  secret: PullSecretLocation,
): Promise<PullSecretRecord> {
  return pullSecretRecordOf(await cluster.getMetadata(RESOURCES.secret, secret.namespace, secret.name));
}

export function pullSecretRecordOf(metadata: ObjectMeta | undefined): PullSecretRecord {
  const annotations = metadata?.annotations ?? {};
  const record: PullSecretRecord = {};
  const expiresAt = annotations[REGISTRY_CREDENTIALS_ANNOTATIONS.expiresAt];
  if (expiresAt && !Number.isNaN(Date.parse(expiresAt))) record.ecrCredentialsExpireAt = new Date(expiresAt);
  const targeted = annotations[REGISTRY_CREDENTIALS_ANNOTATIONS.targetedNamespaces];
  if (targeted !== undefined) record.targetedNamespaces = new Set(targeted.split(',').filter(Boolean));
  return record;
}
