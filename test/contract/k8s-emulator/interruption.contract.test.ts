// Contract: a Spot interruption in the SimulatedArgoController (a stand-in, NOT Argo). The runner's own
// Workflow (buildRunWorkflow, with its retryStrategy) runs; the scenario `evictedOnce` deletes its first pod as
// a node drain does, the controller retries as Argo does (a Retry node, a new pod `<node>(1)`), and the run's
// state as Collate sees it (workflowToRunStatus on every status write) goes running → success, never failed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  buildConfigSecret,
  buildRunWorkflow,
  defaultRunnerSettings,
  ingestionIdentity,
  pipelineConfigSecretName,
  workflowToRunStatus,
} from '@hybrid-runner/core';
import type { KubeObject as CoreObject } from '@hybrid-runner/core';
import type { KubernetesEmulator, SimulatedArgoController } from '@hybrid-runner/k8s-emulator';
import { argoPodName, startKubernetesEmulator } from '@hybrid-runner/k8s-emulator';
import type { Pipeline } from '@hybrid-runner/protocol';

const NS = 'collate-ingestion';
const settings = defaultRunnerSettings();
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let emu: KubernetesEmulator;
let ctl: SimulatedArgoController;

beforeAll(async () => {
  emu = await startKubernetesEmulator({
    auth: { mode: 'static', tokens: { t: { username: 'u' } } },
    namespaces: [NS],
    // 2 ms per Argo second: the 30 s backoff takes 60 ms.
    controller: { pendingMs: 5, podRunMs: 40, msPerSecond: 2, cronTickMs: 0 },
  });
  ctl = emu.controller as SimulatedArgoController;
  emu.cluster.create(emu.cluster.resource('', 'serviceaccounts'), NS, { metadata: { name: 'ingestion' } });
});

afterAll(async () => {
  await emu?.close();
});

afterEach(() => {
  ctl.clearScenarios();
  expect(ctl.errors).toEqual([]);
});

/** Submits the runner's Workflow for a pipeline and records the state Collate would see at every status write. */
async function runPipeline(fqn: string, runId: string) {
  const pipeline: Pipeline = {
    name: fqn.split('.')[1] ?? fqn,
    fullyQualifiedName: fqn,
    pipelineType: 'metadata',
  };
  const secret = buildConfigSecret({
    name: pipelineConfigSecretName(fqn),
    config: '{}',
    settings,
    identity: ingestionIdentity(pipeline, settings),
  });
  emu.cluster.create(emu.cluster.resource('', 'secrets'), NS, secret as unknown as Json);
  const manifest = buildRunWorkflow({ pipeline, settings, runId });
  const name = manifest.metadata.name;
  const states: string[] = [];
  const retryMessages = new Set<string>();
  const workflows = emu.cluster.resource('argoproj.io', 'workflows');
  const unsubscribe = emu.cluster.store.subscribe((event) => {
    if (event.definition !== workflows || (event.object.metadata as Json)['name'] !== name) return;
    for (const node of Object.values(
      ((event.object['status'] as Json | undefined)?.['nodes'] ?? {}) as Json,
    )) {
      if (node['type'] === 'Retry' && node['message']) retryMessages.add(node['message']);
    }
    const state = workflowToRunStatus(event.object as CoreObject, Date.now()).pipelineState;
    if (states.at(-1) !== state) states.push(state);
  });
  emu.cluster.create(workflows, NS, manifest as unknown as Json);
  const done = await ctl.waitForPhase(NS, name);
  unsubscribe();
  return { name, done, states, retryMessages };
}

const nodesOf = (workflow: Json) =>
  Object.values((workflow['status']['nodes'] ?? {}) as Record<string, Json>);

describe('Spot interruption in the SimulatedArgoController (stand-in, not Argo)', () => {
  it('retries a run whose pod is lost to its node, and it ends in success after the retry, reported as such', async () => {
    ctl.setScenario(
      { labelSelector: 'app.kubernetes.io/managed-by=collate-hybrid-runner' },
      {
        outcome: 'evictedOnce',
        templateName: 'main',
      },
    );
    const runId = '7d444840-9dc0-41d3-9a0c-0305e82c3301';
    const { name, done, states, retryMessages } = await runPipeline('mysql_prod.metadata', runId);
    // The backoff of the runner's retryStrategy (30 s, factor 2) before the second attempt, as Argo reports it.
    expect([...retryMessages]).toEqual(['Backoff for 30 seconds']);
    expect((done['status'] as Json)['phase']).toBe('Succeeded');
    // Collate's view: never failed in between.
    expect(states).not.toContain('failed');
    expect(states.at(-1)).toBe('success');
    const status = workflowToRunStatus(done as CoreObject, Date.now());
    expect(status).toMatchObject({ pipelineState: 'success', runId });
    expect(status.reason).toBe(`retried after 1 interrupted attempt (${name}(0): pod deleted)`);
    // Argo's shape: the main step is a Retry node; its attempts are Pod nodes named <node>(n).
    const main = nodesOf(done as Json).filter((node) => node['templateName'] === 'main');
    expect(main.map((node) => `${node['type']} ${node['name']} ${node['phase']}`)).toEqual([
      `Retry ${name} Succeeded`,
      `Pod ${name}(0) Error`,
      `Pod ${name}(1) Succeeded`,
    ]);
    expect(main[1]?.['message']).toBe('pod deleted');
    // The lost attempt's pod is gone (drained); the retry ran in a new pod.
    const pods = emu.cluster.store
      .list(emu.cluster.resource('', 'pods'), {
        namespace: NS,
        labels: [{ key: 'workflows.argoproj.io/workflow', operator: 'equals', value: name }],
      })
      .items.map((pod) => (pod.metadata as Json)['name']);
    expect(pods).toContain(argoPodName(name, `${name}(1)`, 'main'));
    expect(pods).not.toContain(argoPodName(name, `${name}(0)`, 'main'));
    expect((done.metadata as Json)['annotations'][ANNOTATIONS.runId]).toBe(runId);
  });

  it('does not retry a failed ingestion: one attempt, failed with its own cause', async () => {
    ctl.setScenario(
      { labelSelector: 'app.kubernetes.io/managed-by=collate-hybrid-runner' },
      {
        outcome: 'fail',
        exitCode: 1,
        templateName: 'main',
      },
    );
    const { name, done } = await runPipeline('mysql_prod.profiler', '0b7c4b8e-2f0e-4d59-9d3e-4a3f1c2b5a60');
    expect((done['status'] as Json)['phase']).toBe('Failed');
    const main = nodesOf(done as Json).filter((node) => node['templateName'] === 'main');
    expect(main.map((node) => `${node['type']} ${node['phase']}`)).toEqual(['Retry Failed', 'Pod Failed']);
    expect(workflowToRunStatus(done as CoreObject, Date.now())).toMatchObject({
      pipelineState: 'failed',
      reason: `${name}(0): Error (exit code 1)`,
    });
  });
});
