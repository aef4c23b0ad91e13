// Registry (ECR) pull credentials: the pure rules (registry hosts, tokens, dockerconfigjson, namespace
// targeting, the per-namespace report) and the refresh that applies them through the cluster and
// registry-auth ports. The published helper deletes and re-creates its Secret in one namespace; this
// one updates it in place in every targeted namespace, so pods never see a window without it.
import { BadRequestError, ConflictError, NotFoundError, RunnerError } from './errors.ts';
import { listAll } from './list.ts';
import { LABELS, MANAGED_BY, METADATA_KEY_PREFIX, isDnsLabel } from './names.ts';
import { RESOURCES } from './ports.ts';
import type { Clock, ClusterPort, KubeObject, RegistryAuth, RegistryCredentials } from './ports.ts';

/** Collate's registry, the published chart's default. */
export const DEFAULT_REGISTRY_HOST = '118146679784.dkr.ecr.eu-west-1.amazonaws.com';
/** The pull secret name the published chart and the ingestion pods use. */
export const DEFAULT_PULL_SECRET_NAME = 'omd-registry-credentials';
export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';
export const DOCKER_CONFIG_JSON_KEY = '.dockerconfigjson';

/** Annotations the refresh writes on the pull secret (read back by the heartbeat). */
export const REGISTRY_CREDENTIALS_ANNOTATIONS = {
  expiresAt: `${METADATA_KEY_PREFIX}/ecr-credentials-expire-at`,
  refreshedAt: `${METADATA_KEY_PREFIX}/ecr-credentials-refreshed-at`,
  registries: `${METADATA_KEY_PREFIX}/ecr-registries`,
} as const;

/** Defaults of the refresh (its schedule, every 4 hours, is the stage configuration's `ecr.schedule`). */
export const REGISTRY_REFRESH_DEFAULTS = {
  /** Spreads many runners' logins (and ours after an outage) over this many minutes. */
  maxJitterMinutes: 10,
  concurrency: 8,
  conflictRetries: 5,
} as const;

// ----------------------------------------------------------------------------------------------------
// Registry hosts and tokens

export interface RegistryHost {
  /** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` */
  host: string;
  account: string;
  region: string;
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?$/;

/**
 * Reads account and region from an ECR registry host. Accepts a bare host, an `https://` endpoint or an
 * image reference (`<host>/<repository>:<tag>`), since people paste any of the three.
 */
export function parseRegistryHost(input: string): RegistryHost {
  const host = input
    .trim()
    .replace(/^https?:\/\//, '')
    .split('/')[0]!
    .toLowerCase();
  const match = ECR_HOST.exec(host);
  if (!match) {
    throw new BadRequestError(
      `"${input}" is not an ECR registry host: expected <12-digit account>.dkr.ecr.<region>.amazonaws.com ` +
        `(for example ${DEFAULT_REGISTRY_HOST}). Fix the registry in the ECR refresh settings.`,
    );
  }
  return { host, account: match[1]!, region: match[2]! };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes ECR's `authorizationToken` (base64 of `AWS:<password>`). Errors never quote the token. */
export function decodeAuthorizationToken(token: string): { username: string; password: string } {
  if (!token || !BASE64.test(token)) {
    throw new RegistryLoginError(
      'ECR returned an authorization token that is not base64; retry the refresh.',
    );
  }
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator <= 0 || separator === decoded.length - 1) {
    throw new RegistryLoginError(
      'ECR returned an authorization token without the "<user>:<password>" form; retry the refresh.',
    );
  }
  return { username: decoded.slice(0, separator), password: decoded.slice(separator + 1) };
}

/** The `.dockerconfigjson` document for one or more registries. */
export function buildDockerConfigJson(
  logins: Array<{ registryHost: string; username: string; password: string }>,
): string {
  const auths: Record<string, { username: string; password: string; auth: string }> = {};
  for (const login of logins) {
    auths[login.registryHost] = {
      username: login.username,
      password: login.password,
      auth: Buffer.from(`${login.username}:${login.password}`, 'utf8').toString('base64'),
    };
  }
  return JSON.stringify({ auths });
}

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
      },
    },
    type: DOCKER_CONFIG_JSON_TYPE,
    data: { [DOCKER_CONFIG_JSON_KEY]: Buffer.from(dockerConfig, 'utf8').toString('base64') },
  };
}

function earliestExpiry(logins: RegistryLogin[]): Date {
  let earliest: Date | undefined;
  for (const login of logins) {
    if (!earliest || login.credentials.expiresAt < earliest) earliest = login.credentials.expiresAt;
  }
  if (!earliest) throw new BadRequestError('At least one registry login is needed to build a pull secret.');
  return earliest;
}

// ----------------------------------------------------------------------------------------------------
// Settings and namespace targeting

export interface RegistryRefreshSettings {
  /** Registry hosts to log in to (one token per region). */
  registries: string[];
  secretName: string;
  /** Always targeted: the runner's own ingestion pods pull from here. */
  ingestionNamespace: string;
  /** More namespaces: names or patterns with `*` (any run of characters) and `?` (one character). */
  namespaces: string[];
  /** Patterns removed from `namespaces` matches (never from the ingestion namespace). */
  excludeNamespaces: string[];
  /** Service accounts (in every targeted namespace where they exist) that get the secret in imagePullSecrets. */
  serviceAccounts: string[];
  /** Namespaces refreshed at once. */
  concurrency: number;
  /** Attempts after a 409 before a namespace is reported failed. */
  conflictRetries: number;
}

export type RegistryRefreshInput = Partial<RegistryRefreshSettings> & { ingestionNamespace: string };

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAMESPACE_PATTERN = /^[a-z0-9*?-]+$/;

/** Fills defaults and checks every setting, naming the one that is wrong. */
export function resolveRegistryRefreshSettings(input: RegistryRefreshInput): RegistryRefreshSettings {
  const settings: RegistryRefreshSettings = {
    registries: input.registries?.length ? [...input.registries] : [DEFAULT_REGISTRY_HOST],
    secretName: input.secretName ?? DEFAULT_PULL_SECRET_NAME,
    ingestionNamespace: input.ingestionNamespace,
    namespaces: [...(input.namespaces ?? [])],
    excludeNamespaces: [...(input.excludeNamespaces ?? [])],
    serviceAccounts: [...(input.serviceAccounts ?? [])],
    concurrency: input.concurrency ?? REGISTRY_REFRESH_DEFAULTS.concurrency,
    conflictRetries: input.conflictRetries ?? REGISTRY_REFRESH_DEFAULTS.conflictRetries,
  };
  settings.registries = settings.registries.map((registry, index) => {
    try {
      return parseRegistryHost(registry).host;
    } catch (error) {
      throw new BadRequestError(`registries[${index}] ${describeError(error)}`);
    }
  });
  if (!isDnsLabel(settings.ingestionNamespace)) {
    throw new BadRequestError(
      `ingestionNamespace "${settings.ingestionNamespace}" is not a Kubernetes namespace name (lower-case letters, digits and "-", at most 63).`,
    );
  }
  if (!DNS_SUBDOMAIN.test(settings.secretName) || settings.secretName.length > 253) {
    throw new BadRequestError(
      `secretName "${settings.secretName}" is not a valid Secret name (lower-case letters, digits, "-" and ".").`,
    );
  }
  for (const [field, patterns] of [
    ['namespaces', settings.namespaces],
    ['excludeNamespaces', settings.excludeNamespaces],
  ] as const) {
    patterns.forEach((pattern, index) => {
      if (!NAMESPACE_PATTERN.test(pattern) || pattern.length > 63) {
        throw new BadRequestError(
          `${field}[${index}] "${pattern}" is not a namespace name or pattern: use lower-case letters, digits, "-", "*" and "?".`,
        );
      }
    });
  }
  settings.serviceAccounts.forEach((name, index) => {
    if (!DNS_SUBDOMAIN.test(name)) {
      throw new BadRequestError(`serviceAccounts[${index}] "${name}" is not a valid service account name.`);
    }
  });
  if (!Number.isInteger(settings.concurrency) || settings.concurrency < 1 || settings.concurrency > 64) {
    throw new BadRequestError(
      `concurrency must be a whole number from 1 to 64, got ${settings.concurrency}.`,
    );
  }
  if (
    !Number.isInteger(settings.conflictRetries) ||
    settings.conflictRetries < 0 ||
    settings.conflictRetries > 20
  ) {
    throw new BadRequestError(
      `conflictRetries must be a whole number from 0 to 20, got ${settings.conflictRetries}.`,
    );
  }
  return settings;
}

export function isNamespacePattern(value: string): boolean {
  return value.includes('*') || value.includes('?');
}

/** Whether a namespace name matches a name or a `*`/`?` pattern (whole-name match). */
export function matchesNamespacePattern(namespace: string, pattern: string): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(namespace);
}

export interface NamespaceInfo {
  name: string;
  /** True when the namespace is being deleted (Secrets can no longer be created there). */
  terminating: boolean;
}

export interface SkippedNamespace {
  namespace: string;
  reason: string;
}

export interface RefreshTargets {
  /** Sorted, ingestion namespace first. */
  namespaces: string[];
  skipped: SkippedNamespace[];
}

/**
 * Whether resolving the targets needs the cluster's namespace list: only for patterns, so a runner given
 * literal names needs no cluster-wide `list namespaces` permission.
 */
export function needsNamespaceList(settings: Pick<RegistryRefreshSettings, 'namespaces'>): boolean {
  return settings.namespaces.some(isNamespacePattern);
}

/**
 * The namespaces to refresh. `existing` is the cluster's namespace list, or `undefined` when it was not
 * needed or could not be read: then only the ingestion namespace and literal names are targeted.
 */
export function selectTargetNamespaces(
  settings: Pick<RegistryRefreshSettings, 'ingestionNamespace' | 'namespaces' | 'excludeNamespaces'>,
  existing: NamespaceInfo[] | undefined,
): RefreshTargets {
  const skipped: SkippedNamespace[] = [];
  const chosen = new Set<string>();
  const excluded = (name: string) => settings.excludeNamespaces.some((p) => matchesNamespacePattern(name, p));
  if (existing === undefined) {
    for (const entry of settings.namespaces) {
      if (isNamespacePattern(entry) || entry === settings.ingestionNamespace) continue;
      if (excluded(entry)) skipped.push({ namespace: entry, reason: 'excluded' });
      else chosen.add(entry);
    }
  } else {
    const byName = new Map(existing.map((n) => [n.name, n]));
    for (const entry of settings.namespaces) {
      if (!isNamespacePattern(entry) && !byName.has(entry) && entry !== settings.ingestionNamespace) {
        skipped.push({ namespace: entry, reason: 'namespace does not exist' });
      }
    }
    for (const namespace of existing) {
      if (namespace.name === settings.ingestionNamespace) continue;
      if (!settings.namespaces.some((p) => matchesNamespacePattern(namespace.name, p))) continue;
      if (excluded(namespace.name)) skipped.push({ namespace: namespace.name, reason: 'excluded' });
      else if (namespace.terminating)
        skipped.push({ namespace: namespace.name, reason: 'namespace is terminating' });
      else chosen.add(namespace.name);
    }
  }
  chosen.delete(settings.ingestionNamespace);
  skipped.sort((a, b) => a.namespace.localeCompare(b.namespace));
  return { namespaces: [settings.ingestionNamespace, ...[...chosen].sort()], skipped };
}

// ----------------------------------------------------------------------------------------------------
// The per-namespace plan and report

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

export type ServiceAccountResult = 'patched' | 'unchanged' | 'absent' | 'failed';

export interface NamespaceRefreshOutcome {
  namespace: string;
  status: 'created' | 'updated' | 'failed';
  /** Writes tried, counting retries after 409. */
  attempts: number;
  /** For people; never holds a secret value. */
  error?: string;
  serviceAccounts: Array<{ name: string; result: ServiceAccountResult; error?: string }>;
}

export interface RegistryRefreshReport {
  ok: boolean;
  secretName: string;
  registries: string[];
  refreshedAt: string;
  /** Earliest expiry of the tokens written; absent when the login failed. */
  expiresAt?: string;
  /** Why no namespace was written (login refused, for example). */
  loginError?: string;
  /** Why the namespace list could not be read (patterns were then not resolved). */
  listError?: string;
  outcomes: NamespaceRefreshOutcome[];
  skipped: SkippedNamespace[];
  updated: number;
  failed: number;
  durationMs: number;
}

/** One line per namespace, for logs, the CLI and the error that makes alarms fire. */
export function formatRegistryRefreshReport(report: RegistryRefreshReport): string {
  const lines = [
    `ECR pull secret ${report.secretName} for ${report.registries.join(', ')}: ` +
      `${report.updated} namespace(s) updated, ${report.failed} failed` +
      (report.expiresAt ? `, token expires ${report.expiresAt}` : '') +
      ` (${Math.round(report.durationMs)} ms)`,
  ];
  if (report.loginError) lines.push(`  login failed, no secret touched: ${report.loginError}`);
  if (report.listError) lines.push(`  namespace list failed, patterns not resolved: ${report.listError}`);
  for (const outcome of report.outcomes) {
    const accounts = outcome.serviceAccounts
      .map((sa) => `${sa.name} ${sa.result}${sa.error ? ` (${sa.error})` : ''}`)
      .join(', ');
    lines.push(
      `  ${outcome.namespace}: ${outcome.status}${outcome.error ? `: ${outcome.error}` : ''}` +
        (accounts ? `; service accounts: ${accounts}` : ''),
    );
  }
  for (const skip of report.skipped) lines.push(`  ${skip.namespace}: skipped (${skip.reason})`);
  return lines.join('\n');
}

/** The registry refused the login (bad keys, no permission) or answered nonsense. */
export class RegistryLoginError extends RunnerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('internal', message, options);
  }
}

/** Thrown after a refresh finished with failures, so the scheduler marks the run failed and alarms fire. */
export class RegistryRefreshError extends RunnerError {
  readonly report: RegistryRefreshReport;
  constructor(report: RegistryRefreshReport) {
    super('internal', formatRegistryRefreshReport(report));
    this.report = report;
  }
}

// ----------------------------------------------------------------------------------------------------
// The refresh

/** Structured logging as the refresh needs it (Powertools Logger fits). Fields never hold secrets. */
export interface RefreshLogger {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
}

export interface RegistryRefreshDeps {
  cluster: ClusterPort;
  auth: RegistryAuth;
  clock: Clock;
  logger?: RefreshLogger;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs `task` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Logs in to every registry, then writes the pull secret in every targeted namespace. Never throws for
 * a namespace's failure or a refused login: the report says what happened (`ok: false`), and the caller
 * decides how loudly to fail (`RegistryRefreshError`). A refused login touches no Secret.
 */
export async function refreshRegistryCredentials(
  deps: RegistryRefreshDeps,
  settings: RegistryRefreshSettings,
): Promise<RegistryRefreshReport> {
  const started = performance.now();
  const refreshedAt = deps.clock.now();
  const report: RegistryRefreshReport = {
    ok: false,
    secretName: settings.secretName,
    registries: settings.registries,
    refreshedAt: refreshedAt.toISOString(),
    outcomes: [],
    skipped: [],
    updated: 0,
    failed: 0,
    durationMs: 0,
  };
  const finish = () => {
    report.updated = report.outcomes.filter((o) => o.status !== 'failed').length;
    report.failed = report.outcomes.filter((o) => o.status === 'failed').length;
    report.ok =
      !report.loginError &&
      !report.listError &&
      report.failed === 0 &&
      report.outcomes.every((o) => o.serviceAccounts.every((sa) => sa.result !== 'failed'));
    report.durationMs = performance.now() - started;
    return report;
  };

  // Without patterns nothing is listed: literal names are targeted as given (a missing one fails there).
  let existingNamespaces: NamespaceInfo[] | undefined;
  if (needsNamespaceList(settings)) {
    try {
      existingNamespaces = await listNamespaces(deps.cluster);
    } catch (error) {
      report.listError = describeError(error);
    }
  }
  const targets = selectTargetNamespaces(settings, existingNamespaces);
  report.skipped = targets.skipped;

  let logins: RegistryLogin[];
  try {
    // Tokens are per region: one login per registry host, all before any write.
    logins = await Promise.all(
      settings.registries.map(async (registryHost) => ({
        registryHost,
        credentials: await deps.auth.login(registryHost),
      })),
    );
  } catch (error) {
    report.loginError = describeError(error);
    deps.logger?.warn('ECR login failed; no pull secret was touched', { error: report.loginError });
    return finish();
  }
  report.expiresAt = earliestExpiry(logins).toISOString();

  report.outcomes = await mapWithConcurrency(targets.namespaces, settings.concurrency, (namespace) =>
    refreshNamespace(deps, settings, namespace, logins, refreshedAt),
  );
  finish();
  deps.logger?.info('ECR pull secrets refreshed', {
    secretName: report.secretName,
    namespacesUpdated: report.updated,
    namespacesFailed: report.failed,
    expiresAt: report.expiresAt,
    durationMs: Math.round(report.durationMs),
  });
  return report;
}

async function listNamespaces(cluster: ClusterPort): Promise<NamespaceInfo[]> {
  const namespaces = await listAll(cluster, RESOURCES.namespace, undefined);
  return namespaces.flatMap((item) => {
    if (!item.metadata.name) return [];
    const phase = (item as { status?: { phase?: string } }).status?.phase;
    return [
      {
        name: item.metadata.name,
        terminating: phase === 'Terminating' || Boolean(item.metadata.deletionTimestamp),
      },
    ];
  });
}

async function refreshNamespace(
  deps: RegistryRefreshDeps,
  settings: RegistryRefreshSettings,
  namespace: string,
  logins: RegistryLogin[],
  refreshedAt: Date,
): Promise<NamespaceRefreshOutcome> {
  const desired = buildPullSecret({ name: settings.secretName, namespace, logins, refreshedAt });
  const outcome: NamespaceRefreshOutcome = { namespace, status: 'failed', attempts: 0, serviceAccounts: [] };
  try {
    for (;;) {
      outcome.attempts++;
      const existing = await deps.cluster.get<KubeObject>(RESOURCES.secret, namespace, settings.secretName);
      const plan = planSecretWrite(existing, desired);
      if (plan.action === 'refuse') throw new ConflictError(plan.reason);
      try {
        if (plan.action === 'create') await deps.cluster.create(RESOURCES.secret, namespace, plan.secret);
        else await deps.cluster.replace(RESOURCES.secret, namespace, plan.secret);
        outcome.status = plan.action === 'create' ? 'created' : 'updated';
        break;
      } catch (error) {
        // 409: someone created or changed it since we read it (another refresh); 404 on replace: it was
        // deleted meanwhile. Either way read again and retry.
        const retryable =
          error instanceof ConflictError || (plan.action === 'replace' && error instanceof NotFoundError);
        if (!retryable || outcome.attempts > settings.conflictRetries) throw error;
      }
    }
  } catch (error) {
    outcome.error = describeError(error);
    deps.logger?.warn('ECR pull secret not written', { namespace, error: outcome.error });
    return outcome;
  }
  for (const name of settings.serviceAccounts) {
    try {
      const result = await ensureImagePullSecret(deps.cluster, namespace, name, settings);
      outcome.serviceAccounts.push({ name, result });
    } catch (error) {
      outcome.serviceAccounts.push({ name, result: 'failed', error: describeError(error) });
    }
  }
  return outcome;
}

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

/**
 * When the registry token in the pull secret expires, for the heartbeat's `runnerStatus` event
 * (`ecrCredentialsExpireAt`). `undefined` when the secret or its annotation is absent or unreadable;
 * cluster errors propagate so the caller can log them.
 */
export async function readEcrCredentialsExpireAt(
  cluster: ClusterPort,
  namespace: string,
  secretName: string = DEFAULT_PULL_SECRET_NAME,
): Promise<Date | undefined> {
  const secret = await cluster.get<KubeObject>(RESOURCES.secret, namespace, secretName);
  const value = secret?.metadata.annotations?.[REGISTRY_CREDENTIALS_ANNOTATIONS.expiresAt];
  if (!value || Number.isNaN(Date.parse(value))) return undefined;
  return new Date(value);
}

/** Hours until `expiresAt` (negative once expired), for the expiry metric. */
export function hoursUntil(expiresAt: string | Date, now: Date): number {
  return (new Date(expiresAt).getTime() - now.getTime()) / 3_600_000;
}
