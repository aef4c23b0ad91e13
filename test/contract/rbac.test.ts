// The runner's least-privilege RBAC, proven against the Kubernetes emulator's RBAC evaluator and audit
// log: every bridge operation works with exactly RUNNER_RBAC_RULES (namespace-scoped), the permissions it
// uses are the ones OPERATION_PERMISSIONS declares, and it fails with a ForbiddenError naming the verb and
// resource when any one of them is taken away. What this cannot prove: real IAM, the EKS access entry that
// maps the Lambda role to the Kubernetes group, or a real API server's RBAC edge cases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ForbiddenError,
  REGISTRY_CREDENTIALS_ANNOTATIONS,
  createOperations,
  defaultRunnerSettings,
  reconcileRuns,
  refreshForNewNamespaces,
} from '@hybrid-runner/core';
import type { OperationDeps } from '@hybrid-runner/core';
import { createKubeconfig, startKubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import type { KubernetesEmulator, RbacRule } from '@hybrid-runner/k8s-emulator';
import {
  KubernetesCluster,
  KubernetesSecretStore,
  OPERATION_PERMISSIONS,
  RECONCILE_PERMISSIONS,
  RUNNER_RBAC_RULES,
  toPolicyRules,
} from '@hybrid-runner/kubernetes';
import type { Permission, PolicyRule } from '@hybrid-runner/kubernetes';
import { OPERATIONS } from '@hybrid-runner/protocol';
import type { OperationName, Pipeline } from '@hybrid-runner/protocol';
import { BRIDGE_NAMESPACE_LIST_RULES } from '../../stacks/cluster-access.ts';
import { provideInstallPrerequisites } from '../support/install-prerequisites.ts';

const NAMESPACE = 'collate-ingestion';
const RUNNER_GROUP = 'hybrid-runner';
const ADMIN_TOKEN = 'admin-token';
const RUNNER_TOKEN = 'runner-token';

type Operations = ReturnType<typeof createOperations>;

let emulator: KubernetesEmulator;
let admin: Operations;
let runner: Operations;
const clusters: KubernetesCluster[] = [];

const workflowConfig = (variant = 0) => ({
  source: {
    type: 'mysql',
    serviceName: 'mysql',
    sourceConfig: { config: { type: 'DatabaseMetadata', variant } },
  },
  sink: { type: 'metadata-rest', config: {} },
  workflowConfig: { openMetadataServerConfig: { hostPort: 'https://collate.example/api' } },
});

let pipelines = 0;
function freshPipeline(): Pipeline {
  pipelines++;
  return {
    name: `p${pipelines}`,
    fullyQualifiedName: `svc.rbac.p${pipelines}`,
    pipelineType: 'metadata',
    airflowConfig: { scheduleInterval: '0 3 * * *' },
  };
}

function emulatorRules(rules: readonly PolicyRule[]): RbacRule[] {
  return [
    { users: ['admin'], verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
    ...rules.map((rule) => ({ ...rule, groups: [RUNNER_GROUP], namespaces: [NAMESPACE] })),
  ];
}

async function operationsFor(token: string): Promise<Operations> {
  const cluster = await KubernetesCluster.connect({
    mode: 'kubeconfig',
    text: createKubeconfig({ server: emulator.url, caCert: emulator.caCert, token }),
  });
  clusters.push(cluster);
  const deps: OperationDeps = {
    cluster,
    secrets: new KubernetesSecretStore(cluster, NAMESPACE),
    clock: { now: () => new Date() },
    ids: { runId: () => crypto.randomUUID(), correlationId: () => crypto.randomUUID() },
    settings: defaultRunnerSettings({ namespace: NAMESPACE }),
    botToken: async () => 'bot-jwt',
  };
  return createOperations(deps);
}

async function waitForState(ops: Operations, pipeline: Pipeline, runId: string, states: string[]) {
  await expect
    .poll(
      async () =>
        (await ops.getPipelineStatus({ pipeline })).runs.find((run) => run.runId === runId)?.pipelineState,
      {
        timeout: 5_000,
        interval: 20,
      },
    )
    .toSatisfy((state: string | undefined) => state !== undefined && states.includes(state));
}

interface Scenario {
  name: string;
  /** Prepares state with admin rights; returns the call to make with the runner's rights. */
  prepare(): Promise<(ops: Operations) => Promise<unknown>>;
}

/** Each operation in the states that exercise all of its permissions (first deploy vs update, etc.). */
const SCENARIOS: Record<OperationName, Scenario[]> = {
  ping: [{ name: 'ping', prepare: async () => (ops) => ops.ping({}) }],
  getServiceStatus: [
    {
      name: 'healthy',
      prepare: async () => async (ops) => {
        const status = await ops.getServiceStatus({});
        if (status.status !== 'healthy') throw new Error(`unhealthy: ${status.reason}`);
      },
    },
  ],
  deployPipeline: [
    {
      name: 'first deploy',
      prepare: async () => {
        const pipeline = freshPipeline();
        return (ops) => ops.deployPipeline({ pipeline, workflowConfig: workflowConfig() });
      },
    },
    {
      name: 'changed deploy',
      prepare: async () => {
        const pipeline = freshPipeline();
        await admin.deployPipeline({ pipeline, workflowConfig: workflowConfig() });
        return (ops) =>
          ops.deployPipeline({
            pipeline: { ...pipeline, airflowConfig: { scheduleInterval: '0 4 * * *' } },
            workflowConfig: workflowConfig(1),
          });
      },
    },
  ],
  runPipeline: [
    {
      name: 'deployed pipeline',
      prepare: async () => {
        const pipeline = freshPipeline();
        await admin.deployPipeline({ pipeline, workflowConfig: workflowConfig() });
        return (ops) => ops.runPipeline({ pipeline });
      },
    },
    {
      name: 'with a new config',
      prepare: async () => {
        const pipeline = freshPipeline();
        await admin.deployPipeline({ pipeline, workflowConfig: workflowConfig() });
        return (ops) => ops.runPipeline({ pipeline, workflowConfig: workflowConfig(2) });
      },
    },
  ],
  killIngestion: [
    {
      name: 'a running run',
      prepare: async () => {
        const pipeline = freshPipeline();
        await admin.deployPipeline({ pipeline, workflowConfig: workflowConfig() });
        const scenario = emulator.controller!.setScenario(
          { labelSelector: '' },
          { outcome: 'succeed', durationMs: 60_000 },
        );
        const { runId } = await admin.runPipeline({ pipeline });
        await waitForState(admin, pipeline, runId, ['running']);
        scenario.remove();
        return (ops) => ops.killIngestion({ pipeline, runId });
      },
    },
  ],
  toggleIngestion: [
    {
      name: 'scheduled pipeline',
      prepare: async () => {
        const pipeline = freshPipeline();
        await admin.deployPipeline({ pipeline, workflowConfig: workflowConfig() });
        return (ops) => ops.toggleIngestion({ pipeline: { ...pipeline, enabled: false } });
      },
    },
  ],
  deletePipeline: [
    {
      name: 'pipeline with a run',
      prepare: async () => {
        const pipeline = freshPipeline();
        await admin.deployPipeline({ pipeline, workflowConfig: workflowConfig() });
        await admin.runPipeline({ pipeline });
        return (ops) => ops.deletePipeline({ pipeline });
      },
    },
  ],
  getPipelineStatus: [
    {
      name: 'a run stuck pulling its image',
      prepare: async () => {
        const pipeline = freshPipeline();
        await admin.deployPipeline({ pipeline, workflowConfig: workflowConfig() });
        const scenario = emulator.controller!.setScenario(
          { labelSelector: '' },
          { outcome: 'imagePullError' },
        );
        const { runId } = await admin.runPipeline({ pipeline });
        await expect
          .poll(
            async () =>
              (await admin.getPipelineStatus({ pipeline })).runs.find((r) => r.runId === runId)?.reason,
            {
              timeout: 5_000,
              interval: 20,
            },
          )
          .toBeTruthy();
        scenario.remove();
        return (ops) => ops.getPipelineStatus({ pipeline });
      },
    },
  ],
  getIngestionLogs: [
    {
      name: 'a finished run',
      prepare: async () => {
        const pipeline = freshPipeline();
        await admin.deployPipeline({ pipeline, workflowConfig: workflowConfig() });
        const { runId } = await admin.runPipeline({ pipeline });
        await waitForState(admin, pipeline, runId, ['success']);
        return async (ops) => {
          const logs = await ops.getIngestionLogs({ pipeline, runId });
          if (!logs.total) throw new Error('no logs');
        };
      },
    },
  ],
  runAutomationsWorkflow: [
    {
      name: 'test connection',
      prepare: async () => (ops) =>
        ops.runAutomationsWorkflow({
          workflow: {
            id: crypto.randomUUID(),
            name: `test-connection-${++pipelines}`,
            workflowType: 'TEST_CONNECTION',
            request: { connection: { config: { type: 'Mysql' } } },
          },
        }),
    },
  ],
  runApplicationFlow: [
    {
      name: 'application',
      prepare: async () => (ops) => ops.runApplicationFlow({ application: { name: `App${++pipelines}` } }),
    },
  ],
};

const key = (p: { verb: string; apiGroup: string; resource: string }) =>
  `${p.verb} ${p.apiGroup || 'core'}/${p.resource}`;

beforeAll(async () => {
  emulator = await startKubernetesEmulator({
    auth: {
      mode: 'static',
      tokens: {
        [ADMIN_TOKEN]: { username: 'admin' },
        [RUNNER_TOKEN]: { username: 'runner', groups: [RUNNER_GROUP] },
      },
    },
    rbac: emulatorRules(RUNNER_RBAC_RULES),
    namespaces: [NAMESPACE],
    controller: { pendingMs: 5, podRunMs: 20, cronTickMs: 0 },
  });
  admin = await operationsFor(ADMIN_TOKEN);
  runner = await operationsFor(RUNNER_TOKEN);
  await provideInstallPrerequisites(clusters[0]!, NAMESPACE);
});
afterAll(async () => {
  for (const cluster of clusters) await cluster.close();
  await emulator?.close();
});

describe('runner RBAC against the emulator (not real IAM or a real API server)', () => {
  it('folds the per-operation permissions into namespace-scoped Role rules', () => {
    expect(RUNNER_RBAC_RULES).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'delete', 'get', 'patch', 'update'] },
      {
        apiGroups: ['argoproj.io'],
        resources: ['cronworkflows'],
        verbs: ['create', 'delete', 'get', 'patch', 'update'],
      },
      { apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['create', 'delete', 'list', 'patch'] },
    ]);
    expect(Object.keys(OPERATION_PERMISSIONS).sort()).toEqual([...OPERATIONS].sort());
  });

  it.each(OPERATIONS.map((operation) => [operation]))(
    '%s works with exactly the declared rules and uses exactly the declared permissions',
    async (operation) => {
      emulator.rules.replace(emulatorRules(RUNNER_RBAC_RULES));
      const used = new Set<string>();
      for (const scenario of SCENARIOS[operation]) {
        const call = await scenario.prepare();
        emulator.audit.clear();
        await call(runner);
        for (const permission of emulator.audit.permissionsUsed('runner')) {
          expect(permission.namespace, `${operation} stays in its namespace`).toBe(NAMESPACE);
          used.add(key(permission));
        }
      }
      expect([...used].sort()).toEqual(OPERATION_PERMISSIONS[operation].map(key).sort());
    },
  );

  /** A run stuck before its pod starts: reconciliation lists workflows and pods and marks what it reported. */
  async function prepareReconcile(): Promise<() => Promise<unknown>> {
    const pipeline = freshPipeline();
    await admin.deployPipeline({ pipeline, workflowConfig: workflowConfig() });
    const scenario = emulator.controller!.setScenario({ labelSelector: '' }, { outcome: 'imagePullError' });
    const { runId } = await admin.runPipeline({ pipeline });
    await waitForState(admin, pipeline, runId, ['queued', 'running', 'failed']);
    scenario.remove();
    const runnerCluster = clusters[1]!;
    return () =>
      reconcileRuns({
        cluster: runnerCluster,
        settings: { namespace: NAMESPACE },
        clock: { now: () => new Date() },
        cursor: { get: async () => undefined, set: async () => undefined },
        publish: async () => undefined,
        remainingMs: () => 60_000,
      });
  }

  it('the scheduled reconciliation works with the rules and uses exactly RECONCILE_PERMISSIONS', async () => {
    emulator.rules.replace(emulatorRules(RUNNER_RBAC_RULES));
    const reconcile = await prepareReconcile();
    emulator.audit.clear();
    await reconcile();
    const used = emulator.audit.permissionsUsed('runner').map(key).sort();
    expect(used).toEqual(RECONCILE_PERMISSIONS.map(key).sort());
  });

  it.each(RECONCILE_PERMISSIONS.map((permission) => [key(permission), permission] as const))(
    'the scheduled reconciliation fails without "%s"',
    async (_label, permission: Permission) => {
      emulator.rules.replace(emulatorRules(RUNNER_RBAC_RULES));
      const reconcile = await prepareReconcile();
      const others = [...Object.values(OPERATION_PERMISSIONS).flat(), ...RECONCILE_PERMISSIONS].filter(
        (p) => key(p) !== key(permission),
      );
      emulator.rules.replace(emulatorRules(toPolicyRules(others)));
      const error = await reconcile().catch((e: unknown) => e);
      emulator.rules.replace(emulatorRules(RUNNER_RBAC_RULES));
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error).toMatchObject({ verb: permission.verb });
    },
  );

  it("the heartbeat's new-namespace check works with the rules plus the stack's namespace list, and fails reported without it", async () => {
    const namespaces = emulator.cluster.resource('', 'namespaces');
    const secrets = emulator.cluster.resource('', 'secrets');
    for (const name of ['team-a', 'team-new']) {
      if (!emulator.cluster.get(namespaces, undefined, name))
        emulator.cluster.create(namespaces, undefined, { metadata: { name } });
    }
    emulator.cluster.create(secrets, NAMESPACE, {
      metadata: {
        name: 'new-namespaces-pull-secret',
        annotations: { [REGISTRY_CREDENTIALS_ANNOTATIONS.targetedNamespaces]: `${NAMESPACE},team-a` },
      },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') },
    });
    const cluster = await KubernetesCluster.connect({
      mode: 'kubeconfig',
      text: createKubeconfig({ server: emulator.url, caCert: emulator.caCert, token: RUNNER_TOKEN }),
    });
    clusters.push(cluster);
    const started: string[][] = [];
    const check = () =>
      refreshForNewNamespaces(
        { cluster, refresh: { start: async ({ newNamespaces }) => void started.push(newNamespaces) } },
        {
          ingestionNamespace: NAMESPACE,
          namespaces: ['team-*'],
          excludeNamespaces: [],
          secretName: 'new-namespaces-pull-secret',
        },
      );
    // The stack's ClusterRole for the bridge group: cluster-wide, so no `namespaces` restriction.
    const withList: RbacRule[] = [
      ...emulatorRules(RUNNER_RBAC_RULES),
      ...BRIDGE_NAMESPACE_LIST_RULES.map((rule) => ({ ...rule, groups: [RUNNER_GROUP] })),
    ];
    emulator.rules.replace(withList);
    emulator.audit.clear();
    expect(await check()).toEqual({ checked: true, newNamespaces: ['team-new'], refreshStarted: true });
    expect(emulator.audit.permissionsUsed('runner').map(key).sort()).toEqual([
      'get core/secrets',
      'list core/namespaces',
    ]);
    emulator.rules.replace(emulatorRules(RUNNER_RBAC_RULES));
    const denied = await check();
    expect(denied).toMatchObject({ checked: false, refreshStarted: false });
    expect(denied.error).toMatch(/^new namespaces not checked: .*namespaces/);
    expect(started).toEqual([['team-new']]);
  });

  const removals = OPERATIONS.flatMap((operation) =>
    OPERATION_PERMISSIONS[operation].map((permission) => [operation, key(permission), permission] as const),
  );
  it.each(removals)(
    '%s fails without "%s", with an error naming it',
    async (operation, _label, permission: Permission) => {
      const others = Object.values(OPERATION_PERMISSIONS)
        .flat()
        .filter((p) => key(p) !== key(permission));
      const failures: unknown[] = [];
      for (const scenario of SCENARIOS[operation]) {
        emulator.rules.replace(emulatorRules(RUNNER_RBAC_RULES));
        const call = await scenario.prepare();
        emulator.rules.replace(emulatorRules(toPolicyRules(others)));
        try {
          await call(runner);
        } catch (error) {
          failures.push(error);
        }
      }
      emulator.rules.replace(emulatorRules(RUNNER_RBAC_RULES));
      const resource = permission.apiGroup
        ? `${permission.resource}.${permission.apiGroup}`
        : permission.resource;
      expect(
        failures.length,
        `${operation} should fail in some scenario without ${key(permission)}`,
      ).toBeGreaterThan(0);
      expect(
        failures.some(
          (error) =>
            error instanceof ForbiddenError && error.verb === permission.verb && error.resource === resource,
        ),
      ).toBe(true);
    },
  );
});
