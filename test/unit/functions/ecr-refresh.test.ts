// The ECR refresh Lambda handler with the runner's logger and metrics (their stdout captured: the metrics
// as EMF lines, as in Lambda), an in-memory cluster stand-in and a fake registry login.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  OBSERVABILITY_ENV,
  clearRegisteredSecrets,
  createLogger,
  createMetrics,
  redactText,
  stdoutEmfSink,
} from '@hybrid-runner/observability';
import type { Context } from 'aws-lambda';
import { FUNCTION_ENV } from '@hybrid-runner/config';
import {
  ClusterUnavailableError,
  RegistryLoginError,
  RegistryRefreshError,
  resolveRegistryRefreshSettings,
} from '@hybrid-runner/core';
import type { RegistryAuth } from '@hybrid-runner/core';
import {
  createEcrRefreshHandler,
  ecrRefreshDepsFromEnv,
  ecrRefreshEnvironment,
  refreshTrigger,
  registeringLogins,
} from '../../../functions/schedule/ecr-refresh.ts';
import { createEcrFakeCluster } from '../../support/ecr-fake-cluster.ts';

const NOW = new Date('2026-03-01T10:00:00Z');
const PASSWORD = 'ecr-password-never-logged';

function context(remainingMs = 900_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'ecr-refresh',
    functionVersion: '1',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:ecr-refresh',
    memoryLimitInMB: '256',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/ecr-refresh',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const workingAuth: RegistryAuth = {
  login: async (host) => ({
    username: 'AWS',
    password: PASSWORD,
    proxyEndpoint: `https://${host}`,
    expiresAt: new Date(NOW.getTime() + 12 * 3600_000),
  }),
};

/** Metrics as in Lambda: EMF lines on stdout (captured below), namespace and dimensions of the catalog. */
const testMetrics = () =>
  createMetrics({
    stage: 'unit',
    agentId: 'unit-agent',
    sink: stdoutEmfSink((line) => process.stdout.write(line)),
  });

let stdout: string[];
beforeEach(() => {
  stdout = [];
  // Powertools writes INFO and EMF to stdout, WARN and ERROR to stderr: capture both, scan both.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

function emfValues(name: string): number[] {
  return stdout
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((doc) => name in doc)
    .map((doc) => doc[name] as number);
}

function setup(options: { forbidden?: string[]; auth?: RegistryAuth } = {}) {
  const cluster = createEcrFakeCluster({
    namespaces: ['collate', 'team-a', 'team-b'],
    forbiddenNamespaces: options.forbidden ?? [],
  });
  const handler = createEcrRefreshHandler({
    settings: resolveRegistryRefreshSettings({ ingestionNamespace: 'collate', namespaces: ['team-*'] }),
    cluster: async () => cluster,
    auth: options.auth ?? workingAuth,
    clock: { now: () => NOW },
    logger: createLogger({ serviceName: 'ecr-refresh-test' }),
    metrics: testMetrics(),
  });
  return { cluster, handler };
}

describe('ECR refresh handler', () => {
  it("refreshes every namespace at once on schedule (no timer: the window is Scheduler's) and publishes EMF metrics", async () => {
    const { handler } = setup();
    // Fake timers hold every setTimeout: a refresh that waited a random delay would never settle here.
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    let result: Awaited<ReturnType<typeof handler>>;
    try {
      result = await handler({ trigger: 'schedule' }, context());
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
    expect(result).toMatchObject({
      ok: true,
      trigger: 'schedule',
      updated: 3,
      failed: 0,
      expiresAt: '2026-03-01T22:00:00.000Z',
    });
    expect(result.namespaces.map((n) => n.namespace)).toEqual(['collate', 'team-a', 'team-b']);
    expect(emfValues('EcrNamespacesUpdated')).toEqual([3]);
    expect(emfValues('EcrNamespacesFailed')).toEqual([0]);
    expect(emfValues('EcrTokenHoursRemaining')).toEqual([12]);
    expect(stdout.join('')).not.toContain(PASSWORD);
  });

  it('runs at once after a deploy or on demand', async () => {
    const { handler } = setup();
    await expect(handler({ trigger: 'deploy' }, context())).resolves.toMatchObject({
      trigger: 'deploy',
      ok: true,
    });
    await expect(handler({ trigger: 'manual' }, context())).resolves.toMatchObject({ trigger: 'manual' });
  });

  it('fails loudly with the per-namespace report after refreshing the others', async () => {
    const { handler, cluster } = setup({ forbidden: ['team-a'] });
    const error = await handler({ trigger: 'manual' }, context()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RegistryRefreshError);
    expect((error as Error).message).toMatch(/team-a: failed: The runner is not allowed to get secrets/);
    expect((error as RegistryRefreshError).report.updated).toBe(2);
    expect(cluster.objects.has('secrets/team-b/omd-registry-credentials')).toBe(true);
    expect(emfValues('EcrNamespacesFailed')).toEqual([1]);
    expect(emfValues('EcrRefreshFailed')).toEqual([1]);
  });

  it('after a refused login reports the remaining life of the secret still in place', async () => {
    const { cluster } = setup();
    const working = createEcrRefreshHandler({
      settings: resolveRegistryRefreshSettings({ ingestionNamespace: 'collate' }),
      cluster: async () => cluster,
      auth: workingAuth,
      clock: { now: () => NOW },
      logger: createLogger({ serviceName: 'ecr-refresh-test' }),
      metrics: testMetrics(),
    });
    await working({ trigger: 'manual' }, context());
    const later = new Date(NOW.getTime() + 4 * 3600_000);
    const refusing = createEcrRefreshHandler({
      settings: resolveRegistryRefreshSettings({ ingestionNamespace: 'collate' }),
      cluster: async () => cluster,
      auth: {
        login: async () => {
          throw new RegistryLoginError(
            'ECR in eu-west-1 does not recognise the access key id under key "accessKeyId"',
          );
        },
      },
      clock: { now: () => later },
      logger: createLogger({ serviceName: 'ecr-refresh-test' }),
      metrics: testMetrics(),
    });
    stdout.length = 0;
    const error = await refusing({ trigger: 'manual' }, context()).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('login failed, no secret touched');
    expect(emfValues('EcrTokenHoursRemaining')).toEqual([8]);
    expect(stdout.join('')).toContain('ECR login failed; no pull secret was touched');
    expect(stdout.join('')).not.toContain(PASSWORD);
  });

  it('publishes the failure metric when the cluster cannot be reached', async () => {
    const handler = createEcrRefreshHandler({
      settings: resolveRegistryRefreshSettings({ ingestionNamespace: 'collate' }),
      cluster: async () => {
        throw new ClusterUnavailableError('EKS cluster "c" could not be described: retry later.');
      },
      auth: workingAuth,
      clock: { now: () => NOW },
      logger: createLogger({ serviceName: 'ecr-refresh-test' }),
      metrics: testMetrics(),
    });
    await expect(handler({ trigger: 'manual' }, context())).rejects.toThrow(/could not be described/);
    expect(emfValues('EcrRefreshFailed')).toEqual([1]);
  });
});

describe('secret registration', () => {
  it('registers the registry password for redaction as soon as a login returns it', async () => {
    clearRegisteredSecrets();
    expect(redactText(`password ${PASSWORD}`)).toContain(PASSWORD);
    const login = await registeringLogins(workingAuth).login('118146679784.dkr.ecr.eu-west-1.amazonaws.com');
    expect(login.password).toBe(PASSWORD);
    expect(redactText(`password ${PASSWORD}`)).not.toContain(PASSWORD);
    clearRegisteredSecrets();
  });
});

describe('handler helpers', () => {
  it('classifies triggers', () => {
    expect(refreshTrigger({ source: 'aws.scheduler' })).toBe('schedule');
    expect(refreshTrigger({ trigger: 'deploy' })).toBe('deploy');
    expect(refreshTrigger({ source: 'deploy' })).toBe('deploy');
    expect(refreshTrigger({ source: 'aws.events', 'detail-type': 'Scheduled Event' })).toBe('schedule');
    expect(refreshTrigger(undefined)).toBe('manual');
    expect(refreshTrigger({})).toBe('manual');
  });

  it('reads its settings from the environment the stack writes and names the variable that is wrong', () => {
    const env = {
      [FUNCTION_ENV.settings]: JSON.stringify({ namespace: 'collate' }),
      [FUNCTION_ENV.registry]: JSON.stringify({
        registry: '118146679784.dkr.ecr.eu-west-1.amazonaws.com',
        region: 'eu-west-1',
        pullSecretName: 'omd-registry-credentials',
        include: ['team-*', 'extra'],
        exclude: ['team-x'],
        patchServiceAccount: true,
        serviceAccounts: ['ingestion'],
      }),
      [FUNCTION_ENV.ecrKeysSecret]: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keys',
      [FUNCTION_ENV.clusterName]: 'collate-eks',
      [FUNCTION_ENV.clusterRegion]: 'eu-west-1',
      [OBSERVABILITY_ENV.stage]: 'prod',
      [OBSERVABILITY_ENV.agentId]: 'agent-1',
    };
    expect(ecrRefreshEnvironment(env)).toEqual({
      settings: resolveRegistryRefreshSettings({
        ingestionNamespace: 'collate',
        namespaces: ['team-*', 'extra'],
        excludeNamespaces: ['team-x'],
        serviceAccounts: ['ingestion'],
      }),
      keysSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keys',
      clusterName: 'collate-eks',
      clusterRegion: 'eu-west-1',
    });
    const deps = ecrRefreshDepsFromEnv(env);
    expect(deps.settings.serviceAccounts).toEqual(['ingestion']);
    expect(deps.metrics).toMatchObject({ stage: 'prod', agentId: 'agent-1' });
    const { [OBSERVABILITY_ENV.stage]: _stage, ...withoutStage } = env;
    expect(() => ecrRefreshDepsFromEnv(withoutStage)).toThrow(`${OBSERVABILITY_ENV.stage} is not set`);
    expect(() => ecrRefreshEnvironment({ ...env, [FUNCTION_ENV.registry]: '' })).toThrow(
      `${FUNCTION_ENV.registry} is not set`,
    );
    expect(() => ecrRefreshEnvironment({ ...env, [FUNCTION_ENV.settings]: '{' })).toThrow(
      `${FUNCTION_ENV.settings} does not hold JSON`,
    );
    // The delay moved to the schedule's window: a variable still asking for it says so and how to fix it.
    const withJitter = JSON.stringify({ ...JSON.parse(env[FUNCTION_ENV.registry]), maxJitterSeconds: 600 });
    expect(() => ecrRefreshEnvironment({ ...env, [FUNCTION_ENV.registry]: withJitter })).toThrow(
      /maxJitterSeconds, which the function no longer reads: the delay is the schedule's flexible time window now .*Redeploy with sst deploy/,
    );
    expect(() =>
      ecrRefreshEnvironment({
        ...env,
        [FUNCTION_ENV.registry]: JSON.stringify({ registry: 'quay.io', include: [] }),
      }),
    ).toThrow(`Invalid ${FUNCTION_ENV.registry}: registries[0] "quay.io" is not an ECR registry host`);
    expect(() =>
      ecrRefreshEnvironment({
        ...env,
        [FUNCTION_ENV.registry]: JSON.stringify({
          registry: '118146679784.dkr.ecr.eu-west-1.amazonaws.com',
          include: ['Bad'],
        }),
      }),
    ).toThrow(`Invalid ${FUNCTION_ENV.registry}: namespaces[0] "Bad"`);
    const { [FUNCTION_ENV.clusterName]: _omitted, ...withoutCluster } = env;
    expect(() => ecrRefreshEnvironment(withoutCluster)).toThrow(`${FUNCTION_ENV.clusterName} is not set`);
  });
});
