// The pull secret a namespace gets: its name, annotations (expiry, refresh time, registries) and how to
// write it over an existing Secret without losing what others put there.
import { BadRequestError } from '../errors.ts';
import { LABELS, MANAGED_BY, METADATA_KEY_PREFIX } from '../names.ts';
import type { KubeObject, RegistryCredentials } from '../ports.ts';
import { DOCKER_CONFIG_JSON_KEY, DOCKER_CONFIG_JSON_TYPE, buildDockerConfigJson } from './docker-config.ts';

/** The pull secret name the published chart and the ingestion pods use. */
export const DEFAULT_PULL_SECRET_NAME = 'omd-registry-credentials';

/** Annotations the refresh writes on the pull secret (read back by the heartbeat). */
export const REGISTRY_CREDENTIALS_ANNOTATIONS = {
  expiresAt: `${METADATA_KEY_PREFIX}/ecr-credentials-expire-at`,
  refreshedAt: `${METADATA_KEY_PREFIX}/ecr-credentials-refreshed-at`,
  registries: `${METADATA_KEY_PREFIX}/ecr-registries`,
  /**
   * On the ingestion namespace's secret only: the namespaces the refresh targeted (comma-separated), so
   * the heartbeat can tell a namespace created since then (new-namespaces.ts) without listing Secrets.
   */
  targetedNamespaces: `${METADATA_KEY_PREFIX}/ecr-targeted-namespaces`,
} as const;

export interface RegistryLogin {
  registryHost: string;
  credentials: RegistryCredentials;
}

/** The pull secret for a namespace, annotated with the earliest token expiry and the refresh time. */
export function buildPullSecret(options: {
  name: string;
  namespace: string;
  logins: RegistryLogin[];
  refreshedAt: Date;
  /** Recorded when given (the ingestion namespace's secret, after a complete target list). */
  targetedNamespaces?: readonly string[];
}): KubeObject {
  const dockerConfig = buildDockerConfigJson(
    options.logins.map((login) => ({
      registryHost: login.registryHost,
      username: login.credentials.username,
      password: login.credentials.password,
    })),
  );
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: { [LABELS.managedBy]: MANAGED_BY },
      annotations: {
        [REGISTRY_CREDENTIALS_ANNOTATIONS.expiresAt]: earliestExpiry(options.logins).toISOString(),
        [REGISTRY_CREDENTIALS_ANNOTATIONS.refreshedAt]: options.refreshedAt.toISOString(),
        [REGISTRY_CREDENTIALS_ANNOTATIONS.registries]: options.logins.map((l) => l.registryHost).join(','),
        ...(options.targetedNamespaces
          ? { [REGISTRY_CREDENTIALS_ANNOTATIONS.targetedNamespaces]: options.targetedNamespaces.join(',') }
          : {}),
      },
    },
    type: DOCKER_CONFIG_JSON_TYPE,
    data: { [DOCKER_CONFIG_JSON_KEY]: Buffer.from(dockerConfig, 'utf8').toString('base64') },
  };
}
/** The earliest expiry among the logins' tokens (the pull secret is only as good as that one). */
export function earliestExpiry(logins: RegistryLogin[]): Date {
  let earliest: Date | undefined;
  for (const login of logins) {
    if (!earliest || login.credentials.expiresAt < earliest) earliest = login.credentials.expiresAt;
  }
  if (!earliest) throw new BadRequestError('At least one registry login is needed to build a pull secret.');
  return earliest;
}

export type SecretWritePlan =
  | { action: 'create'; secret: KubeObject }
  | { action: 'replace'; secret: KubeObject }
  | { action: 'refuse'; reason: string };

/**
 * How to bring a namespace's pull secret to `desired`: create it, or replace it in place (same uid),
 * keeping labels, annotations and owners that others put there. A Secret of another type, or an
 * immutable one, cannot be replaced (Kubernetes refuses) and is left alone with a reason.
 */
export function planSecretWrite(existing: KubeObject | undefined, desired: KubeObject): SecretWritePlan {
  if (!existing) return { action: 'create', secret: desired };
  const existingType = (existing as { type?: unknown }).type ?? 'Opaque';
  if (existingType !== DOCKER_CONFIG_JSON_TYPE) {
    return {
      action: 'refuse',
      reason:
        `Secret ${desired.metadata.name} exists with type ${String(existingType)}, not ${DOCKER_CONFIG_JSON_TYPE}; ` +
        `delete it (kubectl delete secret ${desired.metadata.name} -n ${desired.metadata.namespace}) or choose another secret name.`,
    };
  }
  if ((existing as { immutable?: unknown }).immutable === true) {
    return {
      action: 'refuse',
      reason:
        `Secret ${desired.metadata.name} is immutable, so its token cannot be renewed in place; delete it ` +
        `(kubectl delete secret ${desired.metadata.name} -n ${desired.metadata.namespace}) and the next refresh recreates it.`,
    };
  }
  return {
    action: 'replace',
    secret: {
      ...desired,
      metadata: {
        ...existing.metadata,
        labels: { ...existing.metadata.labels, ...desired.metadata.labels },
        annotations: { ...existing.metadata.annotations, ...desired.metadata.annotations },
      },
    },
  };
}
