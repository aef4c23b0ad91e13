// The refresh: log in to every registry, then write the pull secret (and service account references) in
// every targeted namespace, retrying conflicts, and report what happened.
import { ConflictError, NotFoundError } from '../errors.ts';
import { RESOURCES } from '../ports.ts';
import type { Clock, ClusterPort, KubeObject, RegistryAuth } from '../ports.ts';
import { mapWithConcurrency } from './concurrency.ts';
import { describeError } from './errors.ts';
import { listNamespaces, needsNamespaceList, selectTargetNamespaces } from './namespace-targets.ts';
import type { NamespaceInfo } from './namespace-targets.ts';
import { buildPullSecret, earliestExpiry, planSecretWrite } from './pull-secret.ts';
import type { RegistryLogin } from './pull-secret.ts';
import type { RegistryRefreshSettings } from './refresh-settings.ts';
import type { NamespaceRefreshOutcome, RegistryRefreshReport } from './report.ts';
import { ensureImagePullSecret } from './service-accounts.ts';

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

  // The target list is recorded only when it is complete: after a failed list it would miss the pattern
  // matches, and the heartbeat would take them for new namespaces.
  const targeted = report.listError ? undefined : targets.namespaces;
  report.outcomes = await mapWithConcurrency(targets.namespaces, settings.concurrency, (namespace) =>
    refreshNamespace(deps, settings, namespace, logins, refreshedAt, targeted),
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

async function refreshNamespace(
  deps: RegistryRefreshDeps,
  settings: RegistryRefreshSettings,
  namespace: string,
  logins: RegistryLogin[],
  refreshedAt: Date,
  targeted: readonly string[] | undefined,
): Promise<NamespaceRefreshOutcome> {
  const desired = buildPullSecret({
    name: settings.secretName,
    namespace,
    logins,
    refreshedAt,
    ...(targeted && namespace === settings.ingestionNamespace ? { targetedNamespaces: targeted } : {}),
  });
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
