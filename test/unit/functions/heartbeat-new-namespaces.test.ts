// The heartbeat function's new-namespace check over the in-memory FakeCluster (test/support/fake-cluster.ts):
// a namespace matching the registry targets created after the last refresh gets the pull secret in the next
// beat (through the injected starter, which runs the refresh as the local stage does); a failed start is
// logged and returned, the beat still goes out. And how the check is composed from the stack's variables.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FUNCTION_ENV } from '@hybrid-runner/config';
import { LambdaRegistryRefreshStarter } from '@hybrid-runner/aws';
import {
  RESOURCES,
  refreshRegistryCredentials,
  resolveRegistryRefreshSettings,
  type RegistryAuth,
  type RegistryRefreshStarter,
} from '@hybrid-runner/core';
import {
  configureNewNamespacesCheck,
  newNamespacesCheck,
} from '../../../functions/lib/new-namespaces-check.ts';
import { logger } from '../../../functions/lib/logger.ts';
import { handleHeartbeat } from '../../../functions/schedule/heartbeat.ts';
import { AGENT_ID, lambdaContext, useFunctionHarness } from './harness.ts';

const h = useFunctionHarness();
const PASSWORD = 'ecr-token-password-that-must-never-be-logged';
const auth: RegistryAuth = {
  login: async (registryHost) => ({
    username: 'AWS',
    password: PASSWORD,
    proxyEndpoint: `https://${registryHost}`,
    expiresAt: new Date(Date.now() + 12 * 3600_000),
  }),
};

function setup(start?: RegistryRefreshStarter['start']) {
  const settings = resolveRegistryRefreshSettings({
    ingestionNamespace: h.settings.namespace,
    secretName: h.settings.imagePullSecrets[0],
    namespaces: ['team-*'],
  });
  const refresh = () =>
    refreshRegistryCredentials({ cluster: h.cluster, auth, clock: { now: () => new Date() } }, settings);
  for (const name of [h.settings.namespace, 'team-a', 'other']) {
    h.cluster.seed(RESOURCES.namespace, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
  }
  const started: string[][] = [];
  configureNewNamespacesCheck({
    settings,
    refresh: {
      start:
        start ??
        (async ({ newNamespaces }) => {
          started.push(newNamespaces);
          await refresh();
        }),
    },
  });
  return { settings, refresh, started };
}

const events = (name: string) =>
  h.sent
    .map((s) => JSON.parse(s.text) as { event: string; payload: Record<string, unknown> })
    .filter((e) => e.event === name);

/** A namespace created after the last refresh, and one open connection for the beat to reach. */
async function newNamespaceAndOneConnection(name: string): Promise<void> {
  h.cluster.seed(RESOURCES.namespace, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await h.connections.put({
    connectionId: 'a',
    agentId: AGENT_ID,
    connectedAt: Date.now(),
    ttl: Date.now() / 1000 + 3600,
  });
}

const pullSecret = (namespace: string) =>
  h.cluster.get(RESOURCES.secret, namespace, h.settings.imagePullSecrets[0] ?? '');

afterEach(() => {
  configureNewNamespacesCheck(undefined);
  vi.restoreAllMocks();
});

describe('heartbeat function: namespaces created since the last registry refresh (FakeCluster)', () => {
  it('gives a matching namespace created after the last refresh the pull secret in the next beat', async () => {
    const { refresh, started } = setup();
    await refresh();
    h.cluster.seed(RESOURCES.namespace, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-b' },
    });
    h.cluster.seed(RESOURCES.namespace, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'marketing' },
    });
    expect(await pullSecret('team-b')).toBeUndefined();
    const result = await handleHeartbeat({}, lambdaContext());
    expect(result.newNamespaces).toEqual({ checked: true, newNamespaces: ['team-b'], refreshStarted: true });
    expect(started).toEqual([['team-b']]);
    expect(await pullSecret('team-b')).toBeDefined();
    // Outside the targets: no secret, now or after the next beat.
    expect(await pullSecret('marketing')).toBeUndefined();
    const next = await handleHeartbeat({}, lambdaContext());
    expect(next.newNamespaces).toEqual({ checked: true, newNamespaces: [], refreshStarted: false });
    expect(started).toHaveLength(1);
  });

  it('reads the pull secret once a beat for both the expiry and the targeted namespaces', async () => {
    const { refresh } = setup();
    await refresh();
    await h.connections.put({
      connectionId: 'a',
      agentId: AGENT_ID,
      connectedAt: Date.now(),
      ttl: Date.now() / 1000 + 3600,
    });
    h.cluster.resetCalls();
    const result = await handleHeartbeat({}, lambdaContext());
    expect(result.newNamespaces).toEqual({ checked: true, newNamespaces: [], refreshStarted: false });
    const expiry = events('runnerStatus')[0]?.payload.ecrCredentialsExpireAt;
    expect(expiry).toEqual(expect.any(String));
    const secretReads = h.cluster
      .callsOf('getMetadata', 'secrets')
      .filter((call) => call.name === h.settings.imagePullSecrets[0]);
    expect(secretReads).toHaveLength(1);
  });

  it('a slow pull secret read holds back neither the beat nor the check, which waits for the same read', async () => {
    const { refresh, started } = setup();
    await refresh();
    await newNamespaceAndOneConnection('team-slow');
    const read = h.cluster.getMetadata.bind(h.cluster);
    let reads = 0;
    // Answers well after the beat's budget (a tenth of the 5 s left: 500 ms).
    vi.spyOn(h.cluster, 'getMetadata').mockImplementation(async (...args) => {
      reads++;
      await new Promise((resolve) => setTimeout(resolve, 900));
      return read(...args);
    });
    const result = await handleHeartbeat({}, lambdaContext(5_000));
    expect(result.heartbeat).toMatchObject({ connections: 1, sent: 1 });
    // The beat went out without the expiry (it did not wait); the check used the read once it came.
    expect(events('runnerStatus')[0]?.payload.ecrCredentialsExpireAt).toBeUndefined();
    expect(result.newNamespaces).toEqual({
      checked: true,
      newNamespaces: ['team-slow'],
      refreshStarted: true,
    });
    expect(started).toEqual([['team-slow']]);
    expect(reads).toBe(1);
  });

  it('logs and returns a refresh that could not be started, and the beat still goes out', async () => {
    const { refresh } = setup(async () => {
      throw new Error('Rate exceeded');
    });
    await refresh();
    await newNamespaceAndOneConnection('team-c');
    const warn = vi.spyOn(logger, 'warn');
    const result = await handleHeartbeat({}, lambdaContext());
    expect(result.heartbeat).toMatchObject({ connections: 1, sent: 1 });
    expect(result.newNamespaces).toEqual({
      checked: true,
      newNamespaces: ['team-c'],
      refreshStarted: false,
      error: 'registry refresh not started: Rate exceeded',
    });
    expect(warn).toHaveBeenCalledWith('New namespaces may lack the pull secret', {
      newNamespaces: ['team-c'],
      error: 'registry refresh not started: Rate exceeded',
    });
    expect(JSON.stringify(warn.mock.calls)).not.toContain(PASSWORD);
  });
});

describe("the new-namespace check composed from the stack's variables", () => {
  const env = (include: string[], functionName?: string): NodeJS.ProcessEnv => ({
    [FUNCTION_ENV.settings]: JSON.stringify({ namespace: 'collate' }),
    [FUNCTION_ENV.registry]: JSON.stringify({
      registry: '118146679784.dkr.ecr.eu-west-1.amazonaws.com',
      region: 'eu-west-1',
      pullSecretName: 'omd-registry-credentials',
      include,
      exclude: ['team-x'],
      patchServiceAccount: false,
      serviceAccounts: [],
    }),
    ...(functionName ? { [FUNCTION_ENV.registryRefreshFunction]: functionName } : {}),
  });

  it('invokes the named refresh function when the targets have patterns, and is off otherwise', () => {
    const check = newNamespacesCheck(env(['team-*'], 'hybrid-runner-prod-registry-refresh'));
    expect(check?.settings).toEqual({
      ingestionNamespace: 'collate',
      namespaces: ['team-*'],
      excludeNamespaces: ['team-x'],
      secretName: 'omd-registry-credentials',
    });
    expect(check?.refresh).toBeInstanceOf(LambdaRegistryRefreshStarter);
    expect(newNamespacesCheck(env(['team-*']))).toBeUndefined();
    expect(newNamespacesCheck(env(['team-a'], 'hybrid-runner-prod-registry-refresh'))).toBeUndefined();
    expect(() => newNamespacesCheck({ ...env(['team-*'], 'fn'), [FUNCTION_ENV.registry]: '{' })).toThrow(
      `${FUNCTION_ENV.registry} or ${FUNCTION_ENV.settings} does not hold JSON`,
    );
  });
});
