// The refresh against an in-memory cluster stand-in (test/support/ecr-fake-cluster.ts): the logic of
// in-place updates, retries, failure isolation and service-account merging. The contract tests repeat
// the important cases against the Kubernetes emulator.
import { describe, expect, it } from 'vitest';
import {
  LIST_RESTARTS,
  DOCKER_CONFIG_JSON_KEY,
  RESOURCES,
  REGISTRY_CREDENTIALS_ANNOTATIONS,
  RegistryLoginError,
  RegistryRefreshError,
  readEcrCredentialsExpireAt,
  refreshRegistryCredentials,
  resolveRegistryRefreshSettings,
} from '@hybrid-runner/core';
import type { KubeObject, RegistryAuth, RegistryRefreshInput } from '@hybrid-runner/core';
import { createEcrFakeCluster } from '../../support/ecr-fake-cluster.ts';

const NOW = new Date('2026-03-01T10:00:00Z');
const clock = { now: () => NOW };

function fakeAuth(password = 'token-password-1'): RegistryAuth & { logins: string[] } {
  const logins: string[] = [];
  return {
    logins,
    async login(registryHost) {
      logins.push(registryHost);
      return {
        username: 'AWS',
        password,
        proxyEndpoint: `https://${registryHost}`,
        expiresAt: new Date(NOW.getTime() + 12 * 3600_000),
      };
    },
  };
}

const settingsFor = (input: Partial<RegistryRefreshInput> = {}) =>
  resolveRegistryRefreshSettings({ ingestionNamespace: 'collate', ...input });

const secretIn = (
  cluster: ReturnType<typeof createEcrFakeCluster>,
  namespace: string,
  name = 'omd-registry-credentials',
) =>
  cluster.objects.get(`secrets/${namespace}/${name}`) as
    (KubeObject & { data: Record<string, string> }) | undefined;

const passwordIn = (secret: { data: Record<string, string> } | undefined) => {
  const config = JSON.parse(Buffer.from(secret!.data[DOCKER_CONFIG_JSON_KEY]!, 'base64').toString()) as {
    auths: Record<string, { password: string }>;
  };
  return Object.values(config.auths)[0]!.password;
};

describe('refreshRegistryCredentials', () => {
  it('creates the secret, then updates it in place (same uid) on the next run', async () => {
    const cluster = createEcrFakeCluster({ namespaces: ['collate'] });
    const first = await refreshRegistryCredentials(
      { cluster, auth: fakeAuth('first'), clock },
      settingsFor(),
    );
    expect(first).toMatchObject({ ok: true, updated: 1, failed: 0, expiresAt: '2026-03-01T22:00:00.000Z' });
    expect(first.outcomes[0]).toMatchObject({ namespace: 'collate', status: 'created' });
    const uid = secretIn(cluster, 'collate')!.metadata.uid;

    const second = await refreshRegistryCredentials(
      { cluster, auth: fakeAuth('second'), clock },
      settingsFor(),
    );
    expect(second.outcomes[0]).toMatchObject({ status: 'updated', attempts: 1 });
    const secret = secretIn(cluster, 'collate');
    expect(secret!.metadata.uid).toBe(uid);
    expect(passwordIn(secret)).toBe('second');
    expect(cluster.calls.some((c) => c.verb === 'delete')).toBe(false);
    expect(await readEcrCredentialsExpireAt(cluster, 'collate')).toEqual(new Date('2026-03-01T22:00:00Z'));
  });

  it('retries after 409 on create and on replace', async () => {
    const cluster = createEcrFakeCluster({ namespaces: ['collate', 'team-a'] });
    cluster.conflictNext('create', 1);
    const created = await refreshRegistryCredentials(
      { cluster, auth: fakeAuth(), clock },
      settingsFor({ namespaces: ['team-a'], concurrency: 1 }),
    );
    expect(created.ok).toBe(true);
    expect(created.outcomes[0]).toMatchObject({ status: 'created', attempts: 2 });
    cluster.conflictNext('replace', 2);
    const updated = await refreshRegistryCredentials(
      { cluster, auth: fakeAuth(), clock },
      settingsFor({ namespaces: ['team-a'], concurrency: 1 }),
    );
    expect(updated.outcomes[0]).toMatchObject({ status: 'updated', attempts: 3 });
  });

  it('reports a namespace failed once conflicts outlast the retries', async () => {
    const cluster = createEcrFakeCluster({ namespaces: ['collate'] });
    await refreshRegistryCredentials({ cluster, auth: fakeAuth(), clock }, settingsFor());
    cluster.conflictNext('replace', 10);
    const report = await refreshRegistryCredentials(
      { cluster, auth: fakeAuth(), clock },
      settingsFor({ conflictRetries: 2 }),
    );
    expect(report.ok).toBe(false);
    expect(report.outcomes[0]).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: expect.stringContaining('modified'),
    });
  });

  it('keeps going when one namespace is forbidden and reports it', async () => {
    const cluster = createEcrFakeCluster({
      namespaces: ['collate', 'team-a', 'team-b', 'team-c'],
      forbiddenNamespaces: ['team-b'],
    });
    const report = await refreshRegistryCredentials(
      { cluster, auth: fakeAuth(), clock },
      settingsFor({ namespaces: ['team-*'], concurrency: 2 }),
    );
    expect(report).toMatchObject({ ok: false, updated: 3, failed: 1 });
    expect(report.outcomes.find((o) => o.namespace === 'team-b')).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('not allowed to get secrets in namespace team-b'),
    });
    for (const namespace of ['collate', 'team-a', 'team-c'])
      expect(secretIn(cluster, namespace)).toBeDefined();
    const error = new RegistryRefreshError(report);
    expect(error.message).toContain('team-b: failed');
    expect(error.message).not.toContain('token-password-1');
  });

  it('touches no secret when the login is refused', async () => {
    const cluster = createEcrFakeCluster({ namespaces: ['collate'] });
    await refreshRegistryCredentials({ cluster, auth: fakeAuth('working'), clock }, settingsFor());
    const before = structuredClone(secretIn(cluster, 'collate'));
    const writesBefore = cluster.calls.length;
    const refusing: RegistryAuth = {
      login: async () => {
        throw new RegistryLoginError('ECR refused the access key id in secret arn:x (key accessKeyId)');
      },
    };
    const report = await refreshRegistryCredentials({ cluster, auth: refusing, clock }, settingsFor());
    expect(report).toMatchObject({
      ok: false,
      updated: 0,
      loginError: expect.stringContaining('key accessKeyId'),
    });
    expect(secretIn(cluster, 'collate')).toEqual(before);
    expect(cluster.calls.slice(writesBefore).filter((c) => c.verb !== 'get' && c.verb !== 'list')).toEqual(
      [],
    );
    expect(new RegistryRefreshError(report).message).toContain('login failed, no secret touched');
  });

  it('still refreshes the ingestion namespace when namespaces cannot be listed, and says so', async () => {
    const cluster = createEcrFakeCluster({ namespaces: ['collate', 'team-a'], forbidNamespaceList: true });
    const report = await refreshRegistryCredentials(
      { cluster, auth: fakeAuth(), clock },
      settingsFor({ namespaces: ['team-*'] }),
    );
    expect(report.ok).toBe(false);
    expect(report.listError).toContain('list namespaces');
    expect(report.outcomes.map((o) => [o.namespace, o.status])).toEqual([['collate', 'created']]);
  });

  it('lists namespaces page by page', async () => {
    const names = Array.from({ length: 1203 }, (_, i) => `team-${String(i).padStart(4, '0')}`);
    const cluster = createEcrFakeCluster({ namespaces: ['collate', ...names] });
    const report = await refreshRegistryCredentials(
      { cluster, auth: fakeAuth(), clock },
      settingsFor({ namespaces: ['team-*'], excludeNamespaces: ['team-0*'], concurrency: 16 }),
    );
    expect(cluster.calls.filter((c) => c.verb === 'list').length).toBe(3);
    expect(report.updated).toBe(1 + 203);
    expect(report.skipped).toHaveLength(1000);
    expect(cluster.inFlight.max).toBeLessThanOrEqual(16);
  });

  it('lists again from the start when a continue token expired (410), up to a bound', async () => {
    const names = Array.from({ length: 700 }, (_, i) => `team-${i}`);
    const cluster = createEcrFakeCluster({ namespaces: ['collate', ...names] });
    cluster.expireContinueTokens(1);
    const report = await refreshRegistryCredentials(
      { cluster, auth: fakeAuth(), clock },
      settingsFor({ namespaces: ['team-*'], concurrency: 16 }),
    );
    expect(report).toMatchObject({ ok: true, updated: 701 });
    expect(cluster.calls.filter((c) => c.verb === 'list')).toHaveLength(4);

    cluster.expireContinueTokens(LIST_RESTARTS + 1);
    const gaveUp = await refreshRegistryCredentials(
      { cluster, auth: fakeAuth(), clock },
      settingsFor({ namespaces: ['team-*'] }),
    );
    expect(gaveUp.listError).toContain('expired while paging');
    expect(gaveUp.outcomes.map((o) => o.namespace)).toEqual(['collate']);
  });

  it('adds the secret to service accounts once, keeping their other pull secrets', async () => {
    const cluster = createEcrFakeCluster({ namespaces: ['collate', 'team-a'] });
    await cluster.create(RESOURCES.serviceAccount, 'collate', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'ingestion' },
      imagePullSecrets: [{ name: 'other-registry' }],
    });
    const settings = settingsFor({ namespaces: ['team-a'], serviceAccounts: ['ingestion'] });
    const first = await refreshRegistryCredentials({ cluster, auth: fakeAuth(), clock }, settings);
    expect(first.outcomes.map((o) => o.serviceAccounts)).toEqual([
      [{ name: 'ingestion', result: 'patched' }],
      [{ name: 'ingestion', result: 'absent' }],
    ]);
    cluster.conflictNext('mergePatch', 1);
    const second = await refreshRegistryCredentials({ cluster, auth: fakeAuth(), clock }, settings);
    expect(second.outcomes[0]!.serviceAccounts).toEqual([{ name: 'ingestion', result: 'unchanged' }]);
    const account = cluster.objects.get('serviceaccounts/collate/ingestion') as KubeObject & {
      imagePullSecrets?: unknown;
    };
    expect(account.imagePullSecrets).toEqual([
      { name: 'other-registry' },
      { name: 'omd-registry-credentials' },
    ]);
  });

  it('retries a service-account patch that lost a race', async () => {
    const cluster = createEcrFakeCluster({ namespaces: ['collate'] });
    await cluster.create(RESOURCES.serviceAccount, 'collate', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'ingestion' },
    });
    cluster.conflictNext('mergePatch', 1);
    const report = await refreshRegistryCredentials(
      { cluster, auth: fakeAuth(), clock },
      settingsFor({ serviceAccounts: ['ingestion'] }),
    );
    expect(report.ok).toBe(true);
    expect(report.outcomes[0]!.serviceAccounts).toEqual([{ name: 'ingestion', result: 'patched' }]);
    expect(cluster.calls.filter((c) => c.verb === 'patch')).toHaveLength(2);
  });

  it('leaves a Secret of another type alone and reports how to fix it', async () => {
    const cluster = createEcrFakeCluster({ namespaces: ['collate'] });
    await cluster.create(RESOURCES.secret, 'collate', {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'omd-registry-credentials' },
      data: { other: 'eA==' },
    });
    const report = await refreshRegistryCredentials({ cluster, auth: fakeAuth(), clock }, settingsFor());
    expect(report.outcomes[0]).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('type Opaque'),
    });
    expect(secretIn(cluster, 'collate')!.data).toEqual({ other: 'eA==' });
  });

  it('logs one structured summary without secret values', async () => {
    const lines: string[] = [];
    const logger = {
      info: (message: string, fields?: Record<string, unknown>) =>
        lines.push(JSON.stringify({ message, ...fields })),
      warn: (message: string, fields?: Record<string, unknown>) =>
        lines.push(JSON.stringify({ message, ...fields })),
    };
    const cluster = createEcrFakeCluster({ namespaces: ['collate'], forbiddenNamespaces: [] });
    await refreshRegistryCredentials(
      { cluster, auth: fakeAuth('s3cr3t-pass'), clock, logger },
      settingsFor({ namespaces: ['nope'] }),
    );
    expect(lines.length).toBeGreaterThan(0);
    // A literal name is targeted without listing namespaces; a missing one fails on its own.
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ namespacesUpdated: 1, namespacesFailed: 1 });
    expect(lines.some((line) => line.includes('"namespace":"nope"'))).toBe(true);
    expect(cluster.calls.filter((c) => c.verb === 'list')).toEqual([]);
    const annotations = secretIn(cluster, 'collate')!.metadata.annotations!;
    expect(annotations[REGISTRY_CREDENTIALS_ANNOTATIONS.refreshedAt]).toBe(NOW.toISOString());
    for (const line of lines) {
      expect(line).not.toContain('s3cr3t-pass');
      expect(line).not.toContain(Buffer.from('AWS:s3cr3t-pass').toString('base64'));
    }
  });

  it('readEcrCredentialsExpireAt is undefined without the secret or a valid annotation', async () => {
    const cluster = createEcrFakeCluster({ namespaces: ['collate'] });
    expect(await readEcrCredentialsExpireAt(cluster, 'collate')).toBeUndefined();
    await cluster.create(RESOURCES.secret, 'collate', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'omd-registry-credentials',
        annotations: { [REGISTRY_CREDENTIALS_ANNOTATIONS.expiresAt]: 'soon' },
      },
    });
    expect(await readEcrCredentialsExpireAt(cluster, 'collate')).toBeUndefined();
    // metadata only: the registry credentials in the secret's data are never fetched for the expiry
    const reads = cluster.calls.filter((c) => c.plural === 'secrets' && c.verb.startsWith('get'));
    expect(reads.map((c) => c.verb)).toEqual(['getMetadata', 'getMetadata']);
  });
});
