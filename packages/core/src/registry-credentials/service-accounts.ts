// Service accounts that reference the pull secret in their imagePullSecrets.
import { ConflictError } from '../errors.ts';
import { RESOURCES } from '../ports.ts';
import type { ClusterPort, KubeObject } from '../ports.ts';
import type { RegistryRefreshSettings } from './refresh-settings.ts';

interface ServiceAccount extends KubeObject {
  imagePullSecrets?: Array<{ name?: string }>;
}

/** Adds the secret to a service account's imagePullSecrets unless it is there already (idempotent). */
export async function ensureImagePullSecret(
  cluster: ClusterPort,
  namespace: string,
  serviceAccountName: string,
  settings: Pick<RegistryRefreshSettings, 'secretName' | 'conflictRetries'>,
): Promise<'patched' | 'unchanged' | 'absent'> {
  for (let attempt = 0; ; attempt++) {
    const account = await cluster.get<ServiceAccount>(
      RESOURCES.serviceAccount,
      namespace,
      serviceAccountName,
    );
    if (!account) return 'absent';
    const current = account.imagePullSecrets ?? [];
    if (current.some((entry) => entry.name === settings.secretName)) return 'unchanged';
    try {
      // A merge patch replaces the whole list, so it carries the current entries and the resourceVersion
      // as a precondition: a concurrent change gives 409 instead of being lost.
      await cluster.mergePatch(RESOURCES.serviceAccount, namespace, serviceAccountName, {
        metadata: { resourceVersion: account.metadata.resourceVersion },
        imagePullSecrets: [...current, { name: settings.secretName }],
      });
      return 'patched';
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= settings.conflictRetries) throw error;
    }
  }
}
