// Core's SecretStore for `secretsManager.provider: kubernetes`: a `secret:` reference names a Secret in
// the ingestion namespace, named the way the ingestion image's Kubernetes secrets manager looks it up.
// Only metadata is requested, so the runner never receives the value.
import { createHash } from 'node:crypto';
import { RESOURCES } from '@hybrid-runner/core';
import type { SecretStore } from '@hybrid-runner/core';
import type { KubernetesCluster } from './cluster.ts';

const MAX_SECRET_NAME = 253;

/**
 * The Secret name for a reference such as `/collate/hybrid-ingestion-runner/db-password`: leading slashes
 * dropped, anything but letters, digits and `-` turned into `-`, lower case, runs of `-` collapsed, trimmed;
 * over-long names shortened with a hash suffix. Must match the ingestion image, which reads the same name.
 */
export function kubernetesSecretName(reference: string): string {
  let name = reference
    .replace(/^\/+/, '')
    .replace(/[^a-zA-Z0-9-]/g, '-')
    .toLowerCase()
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (name.length > MAX_SECRET_NAME) {
    // md5 is what the ingestion image uses here: a name shortener, not a security measure.
    const suffix = createHash('md5').update(reference).digest('hex').slice(0, 8);
    name = `${name.slice(0, 240)}-${suffix}`;
  }
  if (name && !/^[a-z0-9]/.test(name)) name = `om-${name}`;
  return name || 'om-secret';
}

export class KubernetesSecretStore implements SecretStore {
  readonly #cluster: KubernetesCluster;
  readonly #namespace: string;

  constructor(cluster: KubernetesCluster, namespace: string) {
    this.#cluster = cluster;
    this.#namespace = namespace;
  }

  async exists(name: string): Promise<boolean> {
    const metadata = await this.#cluster.getMetadata(
      RESOURCES.secret,
      this.#namespace,
      kubernetesSecretName(name),
    );
    return metadata !== undefined && !metadata.deletionTimestamp;
  }
}
