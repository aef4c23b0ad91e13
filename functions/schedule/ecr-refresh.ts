// Lambda entry point of the ECR pull-secret refresh. Runs on an EventBridge Scheduler schedule (whose
// flexible time window spreads runners' logins, so the function never waits), once after each deploy
// (`{"trigger":"deploy"}`), when the heartbeat saw new matching namespaces (`{"trigger":"new-namespaces"}`)
// and on demand (`{"trigger":"manual"}`). Core does the work; this file wires the adapters,
// logs and the catalog's metrics, and fails the invocation when any namespace failed, so alarms fire.
import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import {
  createLogger,
  createMetrics,
  flushMetrics,
  instrumentClusterCalls,
  recordRegistryRefresh,
  registerSecret,
  registeringSecrets,
  type RunnerMetrics,
} from '@hybrid-runner/observability';
import {
  BadRequestError,
  REGISTRY_REFRESH_DEFAULTS,
  RegistryRefreshError,
  readEcrCredentialsExpireAt,
  refreshRegistryCredentials,
  resolveRegistryRefreshSettings,
  systemClock,
} from '@hybrid-runner/core';
import type {
  Clock,
  ClusterPort,
  RegistryAuth,
  RegistryRefreshReport,
  RegistryRefreshSettings,
} from '@hybrid-runner/core';
import { createEcrRegistryAuth } from '@hybrid-runner/aws';
import { KubernetesCluster } from '@hybrid-runner/kubernetes';
import { FUNCTION_ENV } from '@hybrid-runner/config';
import type { RegistryRefreshEnvironment } from '@hybrid-runner/config';

export type EcrRefreshTrigger = 'schedule' | 'deploy' | 'manual' | 'new-namespaces';

/** What an invocation may carry: an EventBridge scheduled event, or `{ trigger }` from the stack or CLI. */
export type EcrRefreshEvent =
  | {
      trigger?: EcrRefreshTrigger;
      source?: string;
      'detail-type'?: string;
      /** With `new-namespaces`: what the heartbeat found (the refresh still resolves every target itself). */
      newNamespaces?: string[];
    }
  | null
  | undefined;

export interface EcrRefreshResult {
  ok: boolean;
  trigger: EcrRefreshTrigger;
  secretName: string;
  expiresAt?: string;
  updated: number;
  failed: number;
  namespaces: Array<{ namespace: string; status: string; error?: string }>;
  skipped: RegistryRefreshReport['skipped'];
}

export interface EcrRefreshDeps {
  settings: RegistryRefreshSettings;
  cluster: () => Promise<ClusterPort>;
  auth: RegistryAuth;
  clock: Clock;
  logger: Logger;
  metrics: RunnerMetrics;
}

/** Time the refresh itself may take (the stack's timeout of the function). */
export const ECR_REFRESH_WORK_BUDGET_MS = 120_000;

const TRIGGERS: readonly EcrRefreshTrigger[] = ['schedule', 'deploy', 'manual', 'new-namespaces'];

/** `{trigger}` (or `{source}`, as the stack's deploy invocation sends) names it; EventBridge events are schedules. */
export function refreshTrigger(event: EcrRefreshEvent): EcrRefreshTrigger {
  const named = event?.trigger ?? event?.source;
  if (named && (TRIGGERS as readonly string[]).includes(named)) return named as EcrRefreshTrigger;
  if (
    event?.['detail-type'] === 'Scheduled Event' ||
    event?.source === 'aws.events' ||
    event?.source === 'aws.scheduler'
  ) {
    return 'schedule';
  }
  return 'manual';
}

/** The handler with its dependencies injected (tests and the local stage call this). */
export function createEcrRefreshHandler(deps: EcrRefreshDeps) {
  const refresh = async (event: EcrRefreshEvent): Promise<EcrRefreshResult> => {
    const trigger = refreshTrigger(event);
    if (trigger === 'new-namespaces') {
      deps.logger.info('Refresh for new namespaces', { newNamespaces: event?.newNamespaces ?? [] });
    }
    const started = performance.now();
    let cluster: ClusterPort;
    try {
      cluster = await deps.cluster();
    } catch (error) {
      // Unreachable cluster: nothing was written; the failure metric still fires the alarm.
      recordRegistryRefresh(deps.metrics, {
        ok: false,
        updated: 0,
        failed: 0,
        durationMs: performance.now() - started,
        now: deps.clock.now(),
      });
      deps.logger.error('ECR refresh could not reach the cluster', { error: (error as Error).message });
      throw error;
    }
    const report = await refreshRegistryCredentials(
      { cluster, auth: deps.auth, clock: deps.clock, logger: deps.logger },
      deps.settings,
    );
    // When the login failed, the metric tracks the secret that is still in place, so the expiry alarm
    // fires before pods start failing to pull.
    let expiresAt = report.expiresAt ? new Date(report.expiresAt) : undefined;
    if (!expiresAt) {
      expiresAt = await readEcrCredentialsExpireAt(
        cluster,
        deps.settings.ingestionNamespace,
        deps.settings.secretName,
      ).catch(() => undefined);
    }
    recordRegistryRefresh(deps.metrics, {
      ok: report.ok,
      updated: report.updated,
      failed: report.failed,
      durationMs: report.durationMs,
      ...(expiresAt ? { expiresAt } : {}),
      now: deps.clock.now(),
    });
    deps.logger.info('ECR refresh report', {
      trigger,
      ok: report.ok,
      loginError: report.loginError,
      listError: report.listError,
      outcomes: report.outcomes,
      skipped: report.skipped,
    });
    if (!report.ok) throw new RegistryRefreshError(report);
    return {
      ok: report.ok,
      trigger,
      secretName: report.secretName,
      ...(report.expiresAt ? { expiresAt: report.expiresAt } : {}),
      updated: report.updated,
      failed: report.failed,
      namespaces: report.outcomes.map((o) => ({
        namespace: o.namespace,
        status: o.status,
        ...(o.error ? { error: o.error } : {}),
      })),
      skipped: report.skipped,
    };
  };
  return middy(refresh)
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .use(flushMetrics(deps.metrics));
}

export interface EcrRefreshEnvironment {
  settings: RegistryRefreshSettings;
  keysSecretArn?: string;
  clusterName: string;
  clusterRegion: string;
}

/**
 * Reads what the stack set (the FUNCTION_ENV contract of @hybrid-runner/config): the registry settings,
 * the ingestion namespace from the runner settings, the keys secret and the cluster. Errors name the
 * variable to fix.
 */
export function ecrRefreshEnvironment(env: Record<string, string | undefined>): EcrRefreshEnvironment {
  const required = (key: keyof typeof FUNCTION_ENV): string => {
    const value = env[FUNCTION_ENV[key]]?.trim();
    if (!value)
      throw new BadRequestError(
        `${FUNCTION_ENV[key]} is not set: deploy the function with the stack (sst deploy).`,
      );
    return value;
  };
  const json = <T>(key: keyof typeof FUNCTION_ENV): T => {
    try {
      return JSON.parse(required(key)) as T;
    } catch (error) {
      if (error instanceof BadRequestError) throw error;
      throw new BadRequestError(`${FUNCTION_ENV[key]} does not hold JSON: redeploy the stack.`);
    }
  };
  const registry = json<RegistryRefreshEnvironment & { maxJitterSeconds?: number; concurrency?: number }>(
    'registry',
  );
  const runner = json<{ namespace?: string }>('settings');
  let settings: RegistryRefreshSettings;
  try {
    settings = resolveRegistryRefreshSettings({
      ingestionNamespace: runner.namespace ?? '',
      registries: [registry.registry],
      secretName: registry.pullSecretName,
      namespaces: registry.include ?? [],
      excludeNamespaces: registry.exclude ?? [],
      serviceAccounts: registry.patchServiceAccount ? (registry.serviceAccounts ?? []) : [],
      ...(registry.concurrency !== undefined ? { concurrency: registry.concurrency } : {}),
    });
  } catch (error) {
    throw new BadRequestError(`Invalid ${FUNCTION_ENV.registry}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // The delay moved to the schedule's flexible time window: a variable still asking the function to wait
  // comes from an older stack or a hand edit, and waiting here would only add to the window.
  if (registry.maxJitterSeconds !== undefined && registry.maxJitterSeconds !== 0) {
    throw new BadRequestError(
      `${FUNCTION_ENV.registry} sets maxJitterSeconds, which the function no longer reads: the delay is the ` +
        `schedule's flexible time window now (EventBridge Scheduler, up to ${REGISTRY_REFRESH_DEFAULTS.maxJitterMinutes} minutes). ` +
        'Redeploy with sst deploy, or remove maxJitterSeconds from the variable.',
    );
  }
  const keysSecretArn = env[FUNCTION_ENV.ecrKeysSecret]?.trim();
  return {
    settings,
    clusterName: required('clusterName'),
    clusterRegion: required('clusterRegion'),
    ...(keysSecretArn ? { keysSecretArn } : {}),
  };
}

/** A registry login whose password is registered for redaction before anyone holds it. */
export function registeringLogins(auth: RegistryAuth): RegistryAuth {
  return {
    login: registeringSecrets(
      (host: string) => auth.login(host),
      (login) => [login.password],
    ),
  };
}

/** Builds the dependencies from the function's environment; the cluster is connected on first use. */
export function ecrRefreshDepsFromEnv(env: Record<string, string | undefined> = process.env): EcrRefreshDeps {
  const environment = ecrRefreshEnvironment(env);
  const metrics = createMetrics({ env });
  let cluster: Promise<ClusterPort> | undefined;
  return {
    settings: environment.settings,
    cluster: () => {
      cluster ??= KubernetesCluster.connect({
        mode: 'eks',
        clusterName: environment.clusterName,
        region: environment.clusterRegion,
      }).then((connected) => instrumentClusterCalls(connected, { metrics }));
      cluster.catch(() => {
        cluster = undefined;
      });
      return cluster;
    },
    auth: registeringLogins(
      createEcrRegistryAuth({
        ...(environment.keysSecretArn ? { keysSecretId: environment.keysSecretArn } : {}),
        // Collate's keys are registered for redaction as soon as they are read.
        onSecret: registerSecret,
      }),
    ),
    clock: systemClock,
    logger: createLogger({ serviceName: env[FUNCTION_ENV.serviceName] ?? 'ecr-refresh' }),
    metrics,
  };
}

let deployed: ReturnType<typeof createEcrRefreshHandler> | undefined;

/** The Lambda handler. Settings are read on the first invocation, so a bad one fails that invocation loudly. */
export const handler = (event: EcrRefreshEvent, context: Context): Promise<EcrRefreshResult> => {
  deployed ??= createEcrRefreshHandler(ecrRefreshDepsFromEnv());
  return deployed(event, context);
};
