// Cluster round trips and wall time of deployPipeline, runPipeline and getPipelineStatus through the
// Kubernetes adapter and core's operations, over HTTPS against the Kubernetes emulator with 20 ms added to
// every API call. Baselines measured in the same run:
// - deploy as the open-source Kubernetes pipeline client does it: config ConfigMap, Secret and schedule
//   written one after another, each read first then created or replaced (6 sequential round trips);
// - getPipelineStatus over 5,000 runs against the raw cost of paging the same list through the adapter;
// - runPipeline and a one-off run (test connection) against their previous sequences through the same
//   adapter: check the config Secret, then create the Workflow (2 trips); create the Secret, then the
//   Workflow, then patch the owner reference (3 trips).
// "Sequential round trips" is the critical path: the longest chain of calls that each began after the
// previous one ended. Run with `npm run bench cluster`.
import { performance } from 'node:perf_hooks';
import {
  ARGO_API_VERSION,
  RESOURCES,
  buildAutomationWorkflow,
  buildConfigSecret,
  buildCronWorkflow,
  buildRunWorkflow,
  createOperations,
  defaultRunnerSettings,
  pipelineConfigSecretName,
  pipelineLabelValue,
  pipelineSelector,
  renderAutomationConfig,
  renderWorkflowConfig,
} from '@hybrid-runner/core';
import type { ClusterPort, KubeObject, OperationDeps, ResourceType } from '@hybrid-runner/core';
import { createKubeconfig, startKubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import { KubernetesCluster } from '@hybrid-runner/kubernetes';
import type { KubeObject as StoredObject } from '@hybrid-runner/k8s-emulator';
import type { AutomationWorkflow, Pipeline } from '@hybrid-runner/protocol';
import { measure, printFigures, printRatio } from './lib.ts';

const LATENCY_MS = 20;
const STATUS_RUNS = 5_000;
const NAMESPACE = 'collate-ingestion';
const TOKEN = 'bench-runner-token';
const BOT_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.bench.sig';
const CONFIG_MAP: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
};

const settings = defaultRunnerSettings({ namespace: NAMESPACE });
const workflowConfig = {
  source: { type: 'mysql', serviceName: 'mysql', sourceConfig: { config: { type: 'DatabaseMetadata' } } },
  sink: { type: 'metadata-rest', config: {} },
  workflowConfig: { openMetadataServerConfig: { hostPort: 'https://collate.example/api' } },
};
let pipelines = 0;
const freshPipeline = (): Pipeline => ({
  name: `bench_${++pipelines}`,
  fullyQualifiedName: `bench.mysql.bench_${pipelines}`,
  pipelineType: 'metadata',
  airflowConfig: { scheduleInterval: '0 2 * * *', pipelineTimezone: 'Europe/Paris' },
});

/** Wraps a port to count calls and the critical path (each call's depth = 1 + deepest call finished before it began). */
function tracing(port: ClusterPort) {
  let finished: Array<{ end: number; depth: number }> = [];
  let calls = 0;
  const wrapped = new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'podLogs') return value;
      return async (...args: unknown[]) => {
        const start = performance.now();
        const depth = 1 + Math.max(0, ...finished.filter((f) => f.end <= start).map((f) => f.depth));
        calls++;
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          finished.push({ end: performance.now(), depth });
        }
      };
    },
  });
  return {
    port: wrapped,
    reset() {
      finished = [];
      calls = 0;
    },
    figures: () => ({ calls, sequential: Math.max(0, ...finished.map((f) => f.depth)) }),
  };
}

const emulator = await startKubernetesEmulator({
  auth: { mode: 'static', tokens: { [TOKEN]: { username: 'bench', groups: ['hybrid-runner'] } } },
  namespaces: [NAMESPACE],
  controller: false,
});
const cluster = await KubernetesCluster.connect({
  mode: 'kubeconfig',
  text: createKubeconfig({ server: emulator.url, caCert: emulator.caCert, token: TOKEN }),
});
const traced = tracing(cluster);
const deps: OperationDeps = {
  cluster: traced.port,
  secrets: { exists: async () => true },
  clock: { now: () => new Date() },
  ids: { runId: () => crypto.randomUUID(), correlationId: () => crypto.randomUUID() },
  settings,
  botToken: async () => BOT_TOKEN,
};
const operations = createOperations(deps);

/** The open-source client's way: each object read, then created or replaced, one after another. */
async function baselineDeploy(pipeline: Pipeline): Promise<void> {
  const config = renderWorkflowConfig(workflowConfig, { pipeline, settings, botToken: BOT_TOKEN });
  const name = pipelineConfigSecretName(pipeline.fullyQualifiedName);
  const identity = {
    kind: 'ingestion' as const,
    agentId: settings.agentId,
    fqn: pipeline.fullyQualifiedName,
    pipelineType: pipeline.pipelineType,
  };
  const secret = buildConfigSecret({ name, config, settings, identity });
  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${name}-config`, namespace: NAMESPACE, labels: secret.metadata.labels ?? {} },
    data: { pipeline: JSON.stringify(pipeline) },
  };
  const cron = buildCronWorkflow({ pipeline, settings }) as KubeObject;
  for (const [type, object] of [
    [CONFIG_MAP, configMap],
    [RESOURCES.secret, secret as unknown as KubeObject],
    [RESOURCES.cronWorkflow, cron],
  ] as const) {
    const existing = await traced.port.get<KubeObject>(type, NAMESPACE, object.metadata.name ?? '');
    if (existing) {
      await traced.port.replace(type, NAMESPACE, {
        ...object,
        metadata: { ...object.metadata, resourceVersion: existing.metadata.resourceVersion ?? '' },
      });
    } else {
      await traced.port.create(type, NAMESPACE, object);
    }
  }
}

/** runPipeline before it went to one round trip: the config Secret checked, then the Workflow created. */
async function baselineRun(pipeline: Pipeline): Promise<void> {
  const name = pipelineConfigSecretName(pipeline.fullyQualifiedName);
  if (!(await traced.port.getMetadata(RESOURCES.secret, NAMESPACE, name))) throw new Error('not deployed');
  await traced.port.create(
    RESOURCES.workflow,
    NAMESPACE,
    buildRunWorkflow({ pipeline, settings, runId: crypto.randomUUID() }),
  );
}

const testConnection: AutomationWorkflow = {
  id: 'bench-wf',
  name: 'test-connection-mysql',
  workflowType: 'TEST_CONNECTION',
  request: { connection: { config: { type: 'Mysql', hostPort: 'db:3306' } }, serviceType: 'Database' },
};

/** A one-off run before it went to two round trips: Secret, then Workflow, then the owner reference. */
async function baselineOneOff(): Promise<void> {
  const runId = crypto.randomUUID();
  const workflow = buildAutomationWorkflow({ workflow: testConnection, settings, runId });
  const name = workflow.metadata.name;
  const config = renderAutomationConfig(testConnection, { settings, botToken: BOT_TOKEN });
  const identity = {
    kind: 'automation' as const,
    agentId: settings.agentId,
    runId,
    subject: testConnection.name,
  };
  await traced.port.create(
    RESOURCES.secret,
    NAMESPACE,
    buildConfigSecret({ name, config, settings, identity }),
  );
  const created = await traced.port.create(RESOURCES.workflow, NAMESPACE, workflow);
  await traced.port.mergePatch(RESOURCES.secret, NAMESPACE, name, {
    metadata: {
      ownerReferences: [
        { apiVersion: ARGO_API_VERSION, kind: 'Workflow', name, uid: created.metadata.uid ?? '' },
      ],
    },
  });
}

async function timed(label: string, samples: number, action: () => Promise<unknown>) {
  let calls = 0;
  let sequential = 0;
  const figures = await measure(
    label,
    async () => {
      traced.reset();
      await action();
      const traced_ = traced.figures();
      calls = traced_.calls;
      sequential = traced_.sequential;
    },
    { samples, warmup: 2 },
  );
  return { figures, calls, sequential };
}

emulator.faults.setLatency(LATENCY_MS);
const deployed = freshPipeline();
await operations.deployPipeline({ pipeline: deployed, workflowConfig });

const ours = {
  deploy: await timed('deployPipeline (adapter + operations)', 20, () =>
    operations.deployPipeline({ pipeline: freshPipeline(), workflowConfig }),
  ),
  redeploy: await timed('deployPipeline again, changed config', 20, () =>
    operations.deployPipeline({ pipeline: deployed, workflowConfig: { ...workflowConfig, n: pipelines++ } }),
  ),
  run: await timed('runPipeline (deployed pipeline)', 20, () =>
    operations.runPipeline({ pipeline: deployed }),
  ),
  status: await timed('getPipelineStatus (20+ runs)', 20, () =>
    operations.getPipelineStatus({ pipeline: deployed }),
  ),
  oneOff: await timed('runAutomationsWorkflow (test connection)', 20, () =>
    operations.runAutomationsWorkflow({ workflow: testConnection }),
  ),
};
const baseline = {
  deploy: await timed('baseline deploy: ConfigMap, Secret, schedule one by one', 20, () =>
    baselineDeploy(freshPipeline()),
  ),
  run: await timed('baseline runPipeline: check the Secret, then create', 20, () => baselineRun(deployed)),
  oneOff: await timed('baseline one-off: Secret, Workflow, owner patch in turn', 20, () => baselineOneOff()),
};

// 5,000 runs of one pipeline, seeded in-process (the emulator validates each against the Argo CRD).
emulator.faults.setLatency(0);
const big = freshPipeline();
await operations.deployPipeline({ pipeline: big, workflowConfig });
const workflows = emulator.cluster.resource('argoproj.io', 'workflows');
const seedStart = performance.now();
for (let i = 0; i < STATUS_RUNS; i++) {
  const workflow = buildRunWorkflow({ pipeline: big, settings, runId: `run-${String(i).padStart(5, '0')}` });
  const created = emulator.cluster.create(workflows, NAMESPACE, structuredClone(workflow) as StoredObject);
  emulator.cluster.mutate(workflows, NAMESPACE, String(created.metadata?.name), (object) => {
    object['status'] = {
      phase: i % 10 === 0 ? 'Failed' : 'Succeeded',
      startedAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      finishedAt: new Date(Date.UTC(2026, 0, 1, 0, i, 30)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  });
}
console.log(`seeded ${STATUS_RUNS} workflows in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
emulator.faults.setLatency(LATENCY_MS);
const bigStatus = await timed(`getPipelineStatus over ${STATUS_RUNS} runs`, 5, async () => {
  const { runs } = await operations.getPipelineStatus({ pipeline: big });
  if (runs.length === 0) throw new Error('no runs reported');
});
const rawPaging = await timed(`baseline: page the same ${STATUS_RUNS} through the adapter`, 5, async () => {
  let token: string | undefined;
  let count = 0;
  do {
    const page = await traced.port.list(RESOURCES.workflow, NAMESPACE, {
      labelSelector: pipelineSelector(big.fullyQualifiedName),
      limit: 500,
      ...(token ? { continue: token } : {}),
    });
    count += page.items.length;
    token = page.continue;
  } while (token);
  if (count !== STATUS_RUNS)
    throw new Error(`paged ${count} of ${STATUS_RUNS} (label ${pipelineLabelValue(big.fullyQualifiedName)})`);
});

const all = [
  ours.deploy,
  ours.redeploy,
  ours.run,
  ours.status,
  ours.oneOff,
  baseline.deploy,
  baseline.run,
  baseline.oneOff,
  bigStatus,
  rawPaging,
];
printFigures(
  `Cluster operations, ${LATENCY_MS} ms per Kubernetes API call (emulator over HTTPS)`,
  all.map((r) => r.figures),
);
console.log('\n| case | API calls | sequential round trips |\n|---|---:|---:|');
for (const row of all) console.log(`| ${row.figures.name} | ${row.calls} | ${row.sequential} |`);
console.log('');
printRatio(
  'deployPipeline wall time',
  ours.deploy.figures.medianMs,
  'one-by-one baseline',
  baseline.deploy.figures.medianMs,
  'ms',
);
printRatio(
  'deployPipeline sequential round trips',
  ours.deploy.sequential,
  'one-by-one baseline',
  baseline.deploy.sequential,
  'trips',
);
for (const [label, mine, theirs, baselineLabel] of [
  ['runPipeline', ours.run, baseline.run, 'check-then-create baseline'],
  ['one-off run', ours.oneOff, baseline.oneOff, 'Secret-Workflow-patch baseline'],
] as const) {
  printRatio(`${label} wall time`, mine.figures.medianMs, baselineLabel, theirs.figures.medianMs, 'ms');
  printRatio(`${label} sequential round trips`, mine.sequential, baselineLabel, theirs.sequential, 'trips');
}
printRatio(
  `getPipelineStatus over ${STATUS_RUNS} runs`,
  bigStatus.figures.medianMs,
  'raw paging of the same list',
  rawPaging.figures.medianMs,
  'ms',
);

await cluster.close();
await emulator.close();
