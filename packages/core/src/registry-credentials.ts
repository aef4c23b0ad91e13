// Registry (ECR) pull credentials: the pure rules (registry hosts, tokens, dockerconfigjson, namespace
// targeting, the per-namespace report) and the refresh that applies them through the cluster and
// registry-auth ports. The published helper deletes and re-creates its Secret in one namespace; this
// one updates it in place in every targeted namespace, so pods never see a window without it.
//
// Each concern lives in registry-credentials/; this entry keeps the public names in one place.
export { decodeAuthorizationToken } from './registry-credentials/authorization-token.ts';
export { mapWithConcurrency } from './registry-credentials/concurrency.ts';
export {
  DOCKER_CONFIG_JSON_KEY,
  DOCKER_CONFIG_JSON_TYPE,
  buildDockerConfigJson,
} from './registry-credentials/docker-config.ts';
export { RegistryLoginError } from './registry-credentials/errors.ts';
export { hoursUntil, readEcrCredentialsExpireAt } from './registry-credentials/expiry.ts';
export {
  isNamespacePattern,
  matchesNamespacePattern,
  needsNamespaceList,
  selectTargetNamespaces,
} from './registry-credentials/namespace-targets.ts';
export type {
  NamespaceInfo,
  RefreshTargets,
  SkippedNamespace,
} from './registry-credentials/namespace-targets.ts';
export { readTargetedNamespaces, refreshForNewNamespaces } from './registry-credentials/new-namespaces.ts';
export type {
  NewNamespacesDeps,
  NewNamespacesOutcome,
  NewNamespacesSettings,
} from './registry-credentials/new-namespaces.ts';
export { pullSecretRecordOf, readPullSecretRecord } from './registry-credentials/pull-secret-record.ts';
export type { PullSecretLocation, PullSecretRecord } from './registry-credentials/pull-secret-record.ts';
export {
  DEFAULT_PULL_SECRET_NAME,
  REGISTRY_CREDENTIALS_ANNOTATIONS,
  buildPullSecret,
  planSecretWrite,
} from './registry-credentials/pull-secret.ts';
export type { RegistryLogin, SecretWritePlan } from './registry-credentials/pull-secret.ts';
export { refreshRegistryCredentials } from './registry-credentials/refresh.ts';
export type { RefreshLogger, RegistryRefreshDeps } from './registry-credentials/refresh.ts';
export {
  REGISTRY_REFRESH_DEFAULTS,
  resolveRegistryRefreshSettings,
} from './registry-credentials/refresh-settings.ts';
export type {
  RegistryRefreshInput,
  RegistryRefreshSettings,
} from './registry-credentials/refresh-settings.ts';
export { DEFAULT_REGISTRY_HOST, parseRegistryHost } from './registry-credentials/registry-hosts.ts';
export type { RegistryHost } from './registry-credentials/registry-hosts.ts';
export { RegistryRefreshError, formatRegistryRefreshReport } from './registry-credentials/report.ts';
export type {
  NamespaceRefreshOutcome,
  RegistryRefreshReport,
  ServiceAccountResult,
} from './registry-credentials/report.ts';
export { ensureImagePullSecret } from './registry-credentials/service-accounts.ts';
