// Debian's kubectl (kubernetes-client 1.20, written by the Kubernetes project) against our Kubernetes
// emulator, set up as the local stage sets it up: EKS token authentication through a kubeconfig `exec`
// entry that runs this project's `hybrid-runner eks token`, the stack's own RBAC objects, the Argo CRDs.
// What kubectl agrees with here, a real API server served it too; what this cannot prove is everything a
// real API server does that kubectl does not look at (admission, defaulting, watch timing, RBAC edge cases).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toRunnerSettings } from '@hybrid-runner/config';
import {
  buildConfigSecret,
  buildCronWorkflow,
  buildRunWorkflow,
  ingestionIdentity,
  pipelineConfigSecretName,
} from '@hybrid-runner/core';
import {
  BASIC_USER_RESOURCE_RULES,
  DISCOVERY_NON_RESOURCE_RULES,
  EMULATED_KUBERNETES_VERSION,
  startKubernetesEmulator,
} from '@hybrid-runner/k8s-emulator';
import type { KubeObject, KubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import { RUNNER_RBAC_RULES } from '@hybrid-runner/kubernetes';
import {
  LOCAL_CLUSTER_NAME,
  LOCAL_GROUPS,
  LOCAL_REGION,
  RUNNER_USER,
  localStageConfig,
  operatorKubeconfig,
  sandboxRbacRules,
} from '@hybrid-runner/local';
import type { Pipeline } from '@hybrid-runner/protocol';
import { Kubectl } from '../../support/kubectl.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = { node: process.execPath, script: join(ROOT, 'packages/cli/bin/hybrid-runner.js') };
const OPERATOR = 'local-operator';
const config = localStageConfig('kubectl-contract');
const settings = toRunnerSettings(config, { region: LOCAL_REGION });
const NS = config.namespaces.ingestion;
const keys = {
  runner: { accessKeyId: 'AKIAKUBECTLRUNNER001', secretAccessKey: 'runner-secret-key' },
  operator: { accessKeyId: 'AKIAKUBECTLOPERATOR1', secretAccessKey: 'operator-secret-key' },
};

const pipeline: Pipeline = {
  name: 'orders',
  fullyQualifiedName: 'warehouse.orders',
  pipelineType: 'metadata',
  airflowConfig: { scheduleInterval: '0 3 * * *' },
};

let emulator: KubernetesEmulator;
let work: string;
/** The bridge function's identity: its access entry maps it to the stack's bridge group only. */
let runner: Kubectl;
let operator: Kubectl;

const workflows = () => emulator.cluster.resource('argoproj.io', 'workflows');
const cronWorkflows = () => emulator.cluster.resource('argoproj.io', 'cronworkflows');
const nameOf = (object: KubeObject) => String(object.metadata?.['name']);

function manifestFile(name: string, ...objects: unknown[]): string {
  const path = join(work, name);
  writeFileSync(path, objects.map((object) => stringify(object)).join('---\n'));
  return path;
}

function runWorkflow(runId: string): KubeObject {
  return buildRunWorkflow({ pipeline, settings, runId }) as unknown as KubeObject;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kubectl-contract-'));
  emulator = await startKubernetesEmulator({
    auth: {
      mode: 'eks',
      region: LOCAL_REGION,
      clusterName: LOCAL_CLUSTER_NAME,
      credentials: [
        { ...keys.runner, username: RUNNER_USER, groups: [LOCAL_GROUPS.bridge] },
        { ...keys.operator, username: OPERATOR, groups: [LOCAL_GROUPS.operator] },
      ],
    },
    rbac: sandboxRbacRules(config, OPERATOR),
    namespaces: [NS],
  });
  for (const [who, identity] of Object.entries(keys)) {
    const path = join(work, `${who}.kubeconfig`);
    writeFileSync(
      path,
      operatorKubeconfig({
        server: emulator.url,
        caCert: emulator.caCert,
        namespace: NS,
        cli: CLI,
        keys: identity,
      }),
    );
    const client = new Kubectl(path, work);
    if (who === 'runner') runner = client;
    else operator = client;
  }
  // What an install provides before pods can start: the pods' service account.
  emulator.cluster.create(emulator.cluster.resource('', 'serviceaccounts'), NS, {
    metadata: { name: settings.serviceAccountName },
  });
}, 60_000);

afterAll(async () => {
  await emulator?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('Debian kubectl against the Kubernetes emulator (not a real API server)', () => {
  it('is the Debian build, and reads the emulated version and the Argo kinds from discovery', async () => {
    const version = await runner.run(['version', '-o', 'json']);
    expect(version.code).toBe(0);
    const parsed = JSON.parse(version.stdout) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    expect(parsed.clientVersion.gitVersion).toMatch(/^v1\.20\./);
    expect(parsed.serverVersion.gitVersion).toBe(EMULATED_KUBERNETES_VERSION.gitVersion);
    const argo = await runner.run(['api-resources', '--api-group=argoproj.io', '-o', 'name']);
    expect(argo.stdout.trim().split('\n').sort()).toEqual([
      'cronworkflows.argoproj.io',
      'workflows.argoproj.io',
    ]);
  }, 60_000);

  it('applies the generated CronWorkflow and config Secret as the runner (client-side apply)', async () => {
    const cron = buildCronWorkflow({ pipeline, settings }) as unknown as KubeObject;
    const secret = buildConfigSecret({
      name: pipelineConfigSecretName(pipeline.fullyQualifiedName),
      config: 'workflowConfig: {}\n',
      settings,
      identity: ingestionIdentity(pipeline, settings),
    });
    const file = manifestFile('deploy.yaml', secret, cron);
    const created = await runner.run(['apply', '-f', file]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout.trim().split('\n')).toEqual([
      `secret/${secret.metadata.name} created`,
      `cronworkflow.argoproj.io/${nameOf(cron)} created`,
    ]);
    const stored = emulator.cluster.get(cronWorkflows(), NS, nameOf(cron)) as KubeObject;
    expect(stored['spec']).toEqual(cron['spec']);
    expect(stored.metadata?.['annotations']).toHaveProperty([
      'kubectl.kubernetes.io/last-applied-configuration',
    ]);

    expect((await runner.run(['apply', '-f', file])).stdout).toContain(
      `cronworkflow.argoproj.io/${nameOf(cron)} unchanged`,
    );
    const changed = structuredClone(cron) as { spec: { schedules?: string[]; schedule?: string } };
    if (changed.spec.schedules) changed.spec.schedules = ['0 4 * * *'];
    else changed.spec.schedule = '0 4 * * *';
    const configured = await runner.run(['apply', '-f', manifestFile('changed.yaml', changed)]);
    expect(configured).toMatchObject({
      code: 0,
      stdout: `cronworkflow.argoproj.io/${nameOf(cron)} configured\n`,
    });
    expect((emulator.cluster.get(cronWorkflows(), NS, nameOf(cron)) as KubeObject)['spec']).toEqual(
      changed.spec,
    );
  }, 60_000);

  it('validates a Workflow against the Argo schema the emulator publishes, before sending it', async () => {
    const workflow = runWorkflow('a0a0a0a0-0000-4000-8000-000000000001') as {
      spec: { templates: Array<{ container: Record<string, unknown> }> };
    };
    (workflow.spec.templates[0] as { container: Record<string, unknown> }).container['cmd'] = ['python'];
    const refused = await operator.run(['apply', '-f', manifestFile('stray.yaml', workflow)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /ValidationError\(Workflow\.spec\.templates\[0\]\.container\): unknown field "cmd"/,
    );
    expect(emulator.cluster.get(workflows(), NS, nameOf(workflow as unknown as KubeObject))).toBeUndefined();
  }, 60_000);

  it('creates the generated Workflow as the runner; apply would need get, which the runner is not granted', async () => {
    const workflow = runWorkflow('b0b0b0b0-0000-4000-8000-000000000002');
    const created = await runner.run(['create', '-f', manifestFile('run.yaml', workflow)]);
    expect(created).toMatchObject({ code: 0, stdout: `workflow.argoproj.io/${nameOf(workflow)} created\n` });
    expect(emulator.cluster.get(workflows(), NS, nameOf(workflow))?.['spec']).toEqual(workflow['spec']);

    const another = runWorkflow('c0c0c0c0-0000-4000-8000-000000000003');
    const file = manifestFile('another.yaml', another);
    const forbidden = await runner.run(['apply', '-f', file]);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain(
      `workflows.argoproj.io "${nameOf(another)}" is forbidden: User "${RUNNER_USER}" cannot get resource "workflows" in API group "argoproj.io" in the namespace "${NS}"`,
    );
    const applied = await operator.run(['apply', '-f', file]);
    expect(applied).toMatchObject({ code: 0, stdout: `workflow.argoproj.io/${nameOf(another)} created\n` });
  }, 60_000);

  it('get -o json returns what the emulator stores, as far as the runner may read', async () => {
    const stored = (resource: ReturnType<typeof workflows>, item: KubeObject) =>
      emulator.cluster.get(resource, NS, nameOf(item));
    // The runner lists Workflows (status, logs, kills) but only reads CronWorkflows by name.
    const listed = await runner.run(['get', 'workflows', '-n', NS, '-o', 'json']);
    expect(listed.code).toBe(0);
    const items = (JSON.parse(listed.stdout) as { items: KubeObject[] }).items;
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item).toEqual(stored(workflows(), item));

    const crons = await operator.run(['get', 'cronworkflows', '-n', NS, '-o', 'json']);
    const cron = (JSON.parse(crons.stdout) as { items: KubeObject[] }).items.at(0) as KubeObject;
    expect(cron).toEqual(stored(cronWorkflows(), cron));
    const byName = await runner.run(['get', 'cronworkflow', nameOf(cron), '-n', NS, '-o', 'json']);
    expect(JSON.parse(byName.stdout)).toEqual(cron);
    const list = await runner.run(['get', 'cronworkflows', '-n', NS, '-o', 'json']);
    expect(list.code).toBe(1);
    expect(list.stderr).toContain(`User "${RUNNER_USER}" cannot list resource "cronworkflows"`);
  }, 60_000);

  it("get without -o prints the Argo CRD's printer columns (the emulator serves Table)", async () => {
    const printed = await runner.run(['get', 'workflows', '-n', NS]);
    expect(printed.code).toBe(0);
    const [header, ...rows] = printed.stdout.trimEnd().split('\n');
    expect(header?.trim().split(/\s+/)).toEqual(['NAME', 'STATUS', 'AGE', 'MESSAGE']);
    const stored = emulator.cluster.store.list(workflows(), { namespace: NS, labels: [], fields: [] }).items;
    expect(rows.map((row) => row.split(/\s+/)[0]).sort()).toEqual(stored.map(nameOf).sort());
  }, 60_000);

  it('--watch receives an update to a Workflow', async () => {
    const workflow = runWorkflow('d0d0d0d0-0000-4000-8000-000000000004');
    emulator.cluster.create(workflows(), NS, workflow);
    // The runner is granted no watch (it polls); the operator watches.
    const watch = operator.spawn([
      'get',
      'workflows',
      '-n',
      NS,
      '--watch',
      '-o',
      'json',
      '--output-watch-events',
    ]);
    let output = '';
    let errors = '';
    watch.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    watch.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    // With --output-watch-events, kubectl prints one {"type", "object"} event per line.
    const events = () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { type: string; object: KubeObject });
    const waitFor = async (what: string, found: (event: { type: string; object: KubeObject }) => boolean) => {
      for (let waited = 0; !events().some(found); waited += 100) {
        if (waited > 30_000)
          throw new Error(`kubectl --watch never printed ${what}; it printed:\n${output}\n${errors}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    try {
      await waitFor(
        'the Workflow',
        (event) => event.type === 'ADDED' && nameOf(event.object) === nameOf(workflow),
      );
      const labelled = await operator.run(['label', 'workflow', nameOf(workflow), '-n', NS, 'watched=yes']);
      expect(labelled.code).toBe(0);
      await waitFor(
        'the label',
        (event) => event.type === 'MODIFIED' && event.object.metadata?.['labels']?.['watched'] === 'yes',
      );
    } finally {
      watch.kill();
    }
  }, 60_000);

  it("logs: kubectl 1.20 does not read Argo's default-container annotation, so it names the containers; -c main reads main", async () => {
    const workflow = runWorkflow('e0e0e0e0-0000-4000-8000-000000000005');
    emulator.cluster.create(workflows(), NS, workflow);
    await emulator.controller?.waitForPhase(NS, nameOf(workflow), undefined, 15_000);
    const pod = emulator.cluster.store
      .list(emulator.cluster.resource('', 'pods'), {
        namespace: NS,
        labels: [{ key: 'workflows.argoproj.io/workflow', operator: 'in', values: [nameOf(workflow)] }],
        fields: [],
      })
      .items.at(0) as KubeObject;
    expect(pod.metadata?.['annotations']).toMatchObject({
      'kubectl.kubernetes.io/default-container': 'main',
    });
    // kubectl reads the pod first (get pods), which the runner is not granted: the operator reads logs.
    const unnamed = await operator.run(['logs', nameOf(pod), '-n', NS]);
    expect(unnamed.code).toBe(1);
    expect(unnamed.stderr).toContain(
      `a container name must be specified for pod ${nameOf(pod)}, choose one of: [wait main]`,
    );
    const main = await operator.run(['logs', nameOf(pod), '-n', NS, '-c', 'main']);
    let expected = '';
    for await (const chunk of emulator.cluster.logs.read(NS, nameOf(pod), 'main', {}))
      expected += chunk.toString('utf8');
    expect(main).toMatchObject({ code: 0, stdout: expected });
  }, 60_000);

  it("auth can-i --list as the runner shows exactly the stack's rules, after every user's defaults", async () => {
    const listed = await runner.run(['auth', 'can-i', '--list', '-n', NS]);
    expect(listed.code).toBe(0);
    const [header, ...rows] = listed.stdout.trimEnd().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual(['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs']);
    const cells = rows.map((row) => row.trim().split(/\s{2,}/));
    const resourceRows = cells.filter((row) => row.length === 4).map((row) => `${row[0]} ${row[3]}`);
    const nonResourceRows = cells.filter((row) => row.length === 3).map((row) => `${row[0]} ${row[2]}`);
    const expectedResourceRows = [...BASIC_USER_RESOURCE_RULES, ...RUNNER_RBAC_RULES].flatMap((rule) =>
      rule.resources.flatMap((resource) =>
        rule.apiGroups.map(
          (group) => `${resource}${group ? `.${group}` : ''} [${[...rule.verbs].join(' ')}]`,
        ),
      ),
    );
    expect(resourceRows.sort()).toEqual(expectedResourceRows.sort());
    const expectedNonResourceRows = DISCOVERY_NON_RESOURCE_RULES.flatMap((rule) =>
      rule.nonResourceURLs.map((url) => `[${url}] [${rule.verbs.join(' ')}]`),
    );
    expect(nonResourceRows.sort()).toEqual(expectedNonResourceRows.sort());
  }, 60_000);

  it('auth can-i answers single questions from the same rules', async () => {
    const ask = async (...question: string[]) => {
      const answer = await runner.run(['auth', 'can-i', ...question]);
      return `${answer.stdout.trim()} (${answer.code})`;
    };
    expect(await ask('delete', 'secrets', '-n', 'kube-system')).toBe('no (1)');
    expect(await ask('create', 'workflows.argoproj.io', '-n', NS)).toBe('yes (0)');
    expect(await ask('get', 'workflows.argoproj.io', '-n', NS)).toBe('no (1)');
    expect(await ask('get', 'pods', '--subresource=log', '-n', NS)).toBe('yes (0)');
    expect(await ask('create', 'secrets', '-n', 'default')).toBe('no (1)');
  }, 60_000);

  it('explain reads the Argo schema from /openapi/v2', async () => {
    const explained = await runner.run(['explain', 'workflow.spec.templates.container']);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toMatch(/^KIND:\s+Workflow\nVERSION:\s+argoproj\.io\/v1alpha1\n/);
    expect(explained.stdout).toMatch(/\nRESOURCE:\s+container <Object>\n/);
    expect(explained.stdout).toMatch(/\n {3}command\t<\[\]string>\n/);
  }, 60_000);
});
