// The registry-credential refresh over real wires: the Kubernetes adapter (client library over HTTPS)
// against the Kubernetes emulator (RBAC, resourceVersion conflicts, Status errors), and the real
// @aws-sdk/client-ecr (SigV4, JSON 1.1) against the ECR stand-in. What this cannot prove: real ECR and
// IAM decisions, real API-server admission. The keys secret is read through a mocked Secrets Manager
// client (no Secrets Manager stand-in here); everything after that read is on the wire.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLogger, createMetrics, stdoutEmfSink } from '@hybrid-runner/observability';
import type { Context } from 'aws-lambda';
import { createEcrRegistryAuth } from '@hybrid-runner/aws';
import {
  DOCKER_CONFIG_JSON_KEY,
  REGISTRY_CREDENTIALS_ANNOTATIONS,
  RESOURCES,
  RegistryRefreshError,
  readEcrCredentialsExpireAt,
  refreshRegistryCredentials,
  resolveRegistryRefreshSettings,
} from '@hybrid-runner/core';
import type { ClusterPort, KubeObject, RegistryRefreshInput } from '@hybrid-runner/core';
import { createKubeconfig, startKubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import type { KubernetesEmulator, RbacRule } from '@hybrid-runner/k8s-emulator';
import { KubernetesCluster } from '@hybrid-runner/kubernetes';
import { runEcrRefreshCommand } from '../../../packages/cli/src/commands/ecr-refresh.ts';
import { CliError } from '../../../packages/cli/src/exit-codes.ts';
import { createOutput } from '../../../packages/cli/src/output.ts';
import { startEcrStandIn } from '../../../packages/local/src/standins/ecr.ts';
import type { EcrStandIn } from '../../../packages/local/src/standins/ecr.ts';
import { createEcrRefreshHandler } from '../../../functions/schedule/ecr-refresh.ts';

const ACCESS_KEY_ID = 'AKIACOLLATEKEY000001';
const SECRET_ACCESS_KEY = 'collate/secret+access+key/never-logged';
const KEYS_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:hybrid-runner/ecr-keys-Q1w2E3';
const RUNNER_TOKEN = 'ecr-refresh-runner-token';
const NAMESPACES = ['collate', 'team-a', 'team-b', 'team-secret', 'other'];

const ALLOW_ALL: RbacRule[] = [
  { groups: ['hybrid-runner'], verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
];
/** Secrets everywhere except team-b; namespaces and service accounts everywhere. */
const TEAM_B_FORBIDDEN: RbacRule[] = [
  { groups: ['hybrid-runner'], verbs: ['get', 'list'], apiGroups: [''], resources: ['namespaces'] },
  { groups: ['hybrid-runner'], verbs: ['*'], apiGroups: [''], resources: ['serviceaccounts'] },
  {
    groups: ['hybrid-runner'],
    verbs: ['get', 'create', 'update'],
    apiGroups: [''],
    resources: ['secrets'],
    namespaces: NAMESPACES.filter((n) => n !== 'team-b'),
  },
];

let emulator: KubernetesEmulator;
let ecr: EcrStandIn;
let cluster: ClusterPort;
/** The emulator's diagnostics, scanned for secrets too. */
const emulatorLog: string[] = [];
const secretsManager = mockClient(SecretsManagerClient);

beforeAll(async () => {
  [emulator, ecr] = await Promise.all([
    startKubernetesEmulator({
      crdFiles: [],
      controller: false,
      namespaces: NAMESPACES,
      auth: {
        mode: 'static',
        tokens: { [RUNNER_TOKEN]: { username: 'ecr-refresh', groups: ['hybrid-runner'] } },
      },
      rbac: ALLOW_ALL,
      log: (message) => emulatorLog.push(message),
    }),
    startEcrStandIn({ accessKeys: { [ACCESS_KEY_ID]: { secretAccessKey: SECRET_ACCESS_KEY } } }),
  ]);
  cluster = await KubernetesCluster.connect(
    {
      mode: 'kubeconfig',
      text: createKubeconfig({ server: emulator.url, caCert: emulator.caCert, token: RUNNER_TOKEN }),
    },
    { retry: { baseDelayMs: 10 } },
  );
});

afterAll(async () => {
  await Promise.all([emulator?.close(), ecr?.close()]);
});

beforeEach(() => {
  secretsManager.reset();
  secretsManager.on(GetSecretValueCommand, { SecretId: KEYS_SECRET_ARN }).resolves({
    SecretString: JSON.stringify({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }),
  });
  emulator.rules.replace(ALLOW_ALL);
});

afterEach(async () => {
  vi.restoreAllMocks();
  emulator.rules.replace(ALLOW_ALL);
  for (const namespace of NAMESPACES) {
    await cluster.delete(RESOURCES.secret, namespace, 'omd-registry-credentials');
    await cluster.delete(RESOURCES.serviceAccount, namespace, 'ingestion');
  }
});

function ecrAuth() {
  return createEcrRegistryAuth({
    keysSecretId: KEYS_SECRET_ARN,
    secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
    ecrEndpoint: ecr.url,
    retry: { baseDelayMs: 5 },
  });
}

const settings = (input: Partial<RegistryRefreshInput> = {}) =>
  resolveRegistryRefreshSettings({ ingestionNamespace: 'collate', ...input });

const clock = { now: () => new Date() };

type Secret = KubeObject & { type?: string; data?: Record<string, string> };
const getSecret = (namespace: string) =>
  cluster.get<Secret>(RESOURCES.secret, namespace, 'omd-registry-credentials');

function passwordOf(secret: Secret | undefined): string {
  const config = JSON.parse(Buffer.from(secret!.data![DOCKER_CONFIG_JSON_KEY]!, 'base64').toString()) as {
    auths: Record<string, { username: string; password: string; auth: string }>;
  };
  const entry = config.auths['118146679784.dkr.ecr.eu-west-1.amazonaws.com']!;
  expect(Buffer.from(entry.auth, 'base64').toString()).toBe(`${entry.username}:${entry.password}`);
  return entry.password;
}

function lambdaContext(): Context {
  return {
    awsRequestId: 'contract',
    functionName: 'ecr-refresh',
    getRemainingTimeInMillis: () => 600_000,
  } as unknown as Context;
}

describe('ECR refresh against the Kubernetes emulator and the ECR stand-in', () => {
  it('creates the secret, then updates it in place: same uid, new token, never deleted', async () => {
    const first = await refreshRegistryCredentials({ cluster, auth: ecrAuth(), clock }, settings());
    expect(first).toMatchObject({ ok: true, updated: 1 });
    const created = await getSecret('collate');
    expect(created?.type).toBe('kubernetes.io/dockerconfigjson');
    expect(passwordOf(created)).toBe(ecr.issuedPasswords.at(-1));

    const second = await refreshRegistryCredentials({ cluster, auth: ecrAuth(), clock }, settings());
    expect(second.outcomes[0]).toMatchObject({ status: 'updated' });
    const updated = await getSecret('collate');
    expect(updated!.metadata.uid).toBe(created!.metadata.uid);
    expect(updated!.metadata.resourceVersion).not.toBe(created!.metadata.resourceVersion);
    expect(passwordOf(updated)).toBe(ecr.issuedPasswords.at(-1));
    expect(passwordOf(updated)).not.toBe(passwordOf(created));
    expect(emulator.audit.entries().some((e) => e.resource === 'secrets' && e.verb === 'delete')).toBe(false);
    const expiresAt = await readEcrCredentialsExpireAt(cluster, 'collate');
    expect(expiresAt!.toISOString()).toBe(
      updated!.metadata.annotations![REGISTRY_CREDENTIALS_ANNOTATIONS.expiresAt],
    );
    expect(expiresAt!.getTime() - Date.now()).toBeGreaterThan(11.9 * 3600_000);
  });

  it('two concurrent refreshes leave one consistent secret per namespace', async () => {
    await refreshRegistryCredentials(
      { cluster, auth: ecrAuth(), clock },
      settings({ namespaces: ['team-*'] }),
    );
    const before = await getSecret('team-a');
    const issuedBefore = ecr.issuedPasswords.length;
    const [a, b] = await Promise.all([
      refreshRegistryCredentials(
        { cluster, auth: ecrAuth(), clock },
        settings({ namespaces: ['team-*'], concurrency: 4 }),
      ),
      refreshRegistryCredentials(
        { cluster, auth: ecrAuth(), clock },
        settings({ namespaces: ['team-*'], concurrency: 4 }),
      ),
    ]);
    expect(a.ok && b.ok).toBe(true);
    const concurrentPasswords = ecr.issuedPasswords.slice(issuedBefore);
    expect(concurrentPasswords).toHaveLength(2);
    for (const namespace of ['collate', 'team-a', 'team-b', 'team-secret']) {
      const page = await cluster.list<Secret>(RESOURCES.secret, namespace);
      expect(page.items.filter((s) => s.metadata.name === 'omd-registry-credentials')).toHaveLength(1);
      const secret = await getSecret(namespace);
      expect(concurrentPasswords).toContain(passwordOf(secret));
    }
    expect((await getSecret('team-a'))!.metadata.uid).toBe(before!.metadata.uid);
  });

  it('targets wildcards minus excludes, and ignores namespaces that do not match', async () => {
    const report = await refreshRegistryCredentials(
      { cluster, auth: ecrAuth(), clock },
      settings({ namespaces: ['team-*', 'missing'], excludeNamespaces: ['team-s*'] }),
    );
    expect(report.outcomes.map((o) => o.namespace)).toEqual(['collate', 'team-a', 'team-b']);
    expect(report.skipped).toEqual([
      { namespace: 'missing', reason: 'namespace does not exist' },
      { namespace: 'team-secret', reason: 'excluded' },
    ]);
    expect(await getSecret('team-secret')).toBeUndefined();
    expect(await getSecret('other')).toBeUndefined();
  });

  it('a namespace forbidden by RBAC fails alone; the function throws the per-namespace report', async () => {
    emulator.rules.replace(TEAM_B_FORBIDDEN);
    const output: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        output.push(String(chunk));
        return true;
      });
    }
    const handler = createEcrRefreshHandler({
      settings: settings({ namespaces: ['team-*', 'other'] }),
      cluster: async () => cluster,
      auth: ecrAuth(),
      clock,
      logger: createLogger({ serviceName: 'ecr-refresh-contract' }),
      metrics: createMetrics({ stage: 'contract', agentId: 'contract', sink: stdoutEmfSink() }),
    });
    const error = await handler({ trigger: 'manual' }, lambdaContext()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RegistryRefreshError);
    const report = (error as RegistryRefreshError).report;
    expect(report.outcomes.map((o) => [o.namespace, o.status])).toEqual([
      ['collate', 'created'],
      ['other', 'created'],
      ['team-a', 'created'],
      ['team-b', 'failed'],
      ['team-secret', 'created'],
    ]);
    expect((error as Error).message).toMatch(
      /team-b: failed: .*not allowed to get secrets in namespace team-b/,
    );
    vi.restoreAllMocks();
    emulator.rules.replace(ALLOW_ALL);
    expect(await getSecret('team-b')).toBeUndefined();
  });

  it('adds the secret to the ingestion service account once (idempotent merge)', async () => {
    await cluster.create(RESOURCES.serviceAccount, 'collate', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'ingestion' },
      imagePullSecrets: [{ name: 'existing-pull-secret' }],
    });
    const withAccounts = settings({ serviceAccounts: ['ingestion'] });
    const first = await refreshRegistryCredentials({ cluster, auth: ecrAuth(), clock }, withAccounts);
    expect(first.outcomes[0]!.serviceAccounts).toEqual([{ name: 'ingestion', result: 'patched' }]);
    const patched = await cluster.get<KubeObject>(RESOURCES.serviceAccount, 'collate', 'ingestion');
    const second = await refreshRegistryCredentials({ cluster, auth: ecrAuth(), clock }, withAccounts);
    expect(second.outcomes[0]!.serviceAccounts).toEqual([{ name: 'ingestion', result: 'unchanged' }]);
    const after = await cluster.get<KubeObject>(RESOURCES.serviceAccount, 'collate', 'ingestion');
    expect(after!.imagePullSecrets).toEqual([
      { name: 'existing-pull-secret' },
      { name: 'omd-registry-credentials' },
    ]);
    expect(after!.metadata.resourceVersion).toBe(patched!.metadata.resourceVersion);
  });

  it('retries ECR throttling over the wire', async () => {
    const before = ecr.requests.length;
    ecr.failNext(2, 'ThrottlingException');
    const report = await refreshRegistryCredentials({ cluster, auth: ecrAuth(), clock }, settings());
    expect(report.ok).toBe(true);
    expect(ecr.requests.slice(before).map((r) => r.error ?? 'ok')).toEqual([
      'ThrottlingException',
      'ThrottlingException',
      'ok',
    ]);
  });

  it('wrong keys: a clear error naming the secret and key, and the working secret stays as it was', async () => {
    await refreshRegistryCredentials({ cluster, auth: ecrAuth(), clock }, settings());
    const working = await getSecret('collate');
    for (const [keys, message] of [
      [
        { accessKeyId: 'AKIAUNKNOWNKEY000001', secretAccessKey: SECRET_ACCESS_KEY },
        /does not recognise the access key id under key "accessKeyId" of secret arn:aws:secretsmanager/,
      ],
      [
        { accessKeyId: ACCESS_KEY_ID, secretAccessKey: 'not-the-right-secret' },
        /"secretAccessKey" of secret arn:aws:secretsmanager.*InvalidSignatureException/,
      ],
    ] as const) {
      secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(keys) });
      const report = await refreshRegistryCredentials({ cluster, auth: ecrAuth(), clock }, settings());
      expect(report.ok).toBe(false);
      expect(report.loginError).toMatch(message);
      expect(report.loginError).not.toContain(keys.secretAccessKey);
      const after = await getSecret('collate');
      expect(after!.metadata.resourceVersion).toBe(working!.metadata.resourceVersion);
    }
  });

  it('the CLI command reports per namespace and exits 1 when one failed', async () => {
    emulator.rules.replace(TEAM_B_FORBIDDEN);
    const stdout: string[] = [];
    const stderr: string[] = [];
    const sink = (into: string[]) =>
      ({ write: (chunk: string) => into.push(chunk) }) as unknown as NodeJS.WritableStream;
    const error = await runEcrRefreshCommand({
      namespace: 'collate',
      include: ['team-a', 'team-b'],
      cluster,
      auth: ecrAuth(),
      output: createOutput({ json: false, stdout: sink(stdout), stderr: sink(stderr) }),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(1);
    const text = stdout.join('');
    expect(text).toMatch(/collate: created/);
    expect(text).toMatch(/team-b: failed/);
  });

  it('no secret value (keys, token, password) appears in any log line, metric or report', async () => {
    const output: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        output.push(String(chunk));
        return true;
      });
    }
    emulator.rules.replace(TEAM_B_FORBIDDEN);
    const issuedBefore = ecr.issuedPasswords.length;
    const run = (auth = ecrAuth()) =>
      createEcrRefreshHandler({
        settings: settings({
          namespaces: ['*'],
          excludeNamespaces: ['kube-*', 'default'],
          serviceAccounts: ['ingestion'],
        }),
        cluster: async () => cluster,
        auth,
        clock,
        logger: createLogger({ serviceName: 'ecr-refresh-contract', logLevel: 'DEBUG' }),
        metrics: createMetrics({ stage: 'contract', agentId: 'contract', sink: stdoutEmfSink() }),
      })({ trigger: 'manual' }, lambdaContext()).then(
        (result) => JSON.stringify(result),
        (error: unknown) =>
          `${(error as Error).message}\n${(error as Error).stack}\n${JSON.stringify(error)}`,
      );
    output.push(await run());
    secretsManager.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: 'wrong-secret-value' }),
    });
    output.push(await run());
    vi.restoreAllMocks();
    const passwords = ecr.issuedPasswords.slice(issuedBefore);
    expect(passwords.length).toBeGreaterThan(0);
    const forbidden = [
      SECRET_ACCESS_KEY,
      'wrong-secret-value',
      ...passwords,
      ...passwords.map((p) => Buffer.from(`AWS:${p}`).toString('base64')),
    ];
    const everything = [...output, ...emulatorLog].join('\n');
    expect(everything).toContain('ECR pull secrets refreshed');
    expect(everything).toContain('team-b');
    for (const value of forbidden) expect(everything).not.toContain(value);
  });
});
