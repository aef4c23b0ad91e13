// Contract: the SimulatedArgoController's archiveLogs (a stand-in, NOT Argo). When a pod's main container ends,
// its log goes to the configured sink under the artifact repository's keyFormat plus `/main.log`, and the node
// records `outputs.artifacts: [{name: 'main-logs', s3: {key}}]`: every status write passes the real Argo CRD
// schemas (v3.7.18 vendored, v4.1.2 from the shared fixtures), or the controller reports it. What Argo itself
// uploads (and when) is not proven here: its wait container is simulated.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject, KubernetesEmulator, LogArchiveSink } from '@hybrid-runner/k8s-emulator';
import {
  ARGO_DEFAULT_KEY_FORMAT,
  argoLogArchiveKey,
  startKubernetesEmulator,
} from '@hybrid-runner/k8s-emulator';

const NS = 'collate-ingestion';
const KEY_FORMAT = '{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}';
const V4_FIXTURES = join(import.meta.dirname, '../../../../shared/fixtures/argo/v4.1.2');
const LOG_LINES = ['first line é 😀\n', 'second line\n'];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

class MemorySink implements LogArchiveSink {
  readonly objects = new Map<string, Buffer>();
  keyFormat?: string;
  fail = false;
  constructor(keyFormat?: string) {
    if (keyFormat !== undefined) this.keyFormat = keyFormat;
  }
  async write(key: string, content: Uint8Array): Promise<void> {
    if (this.fail) throw new Error('bucket unreachable');
    this.objects.set(key, Buffer.from(content));
  }
}

let emulator: KubernetesEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(sink: LogArchiveSink | undefined, crdFiles?: string[]): Promise<KubernetesEmulator> {
  emulator = await startKubernetesEmulator({
    auth: { mode: 'static', tokens: { t: { username: 'u' } } },
    namespaces: [NS],
    ...(crdFiles ? { crdFiles } : {}),
    controller: { pendingMs: 5, podRunMs: 20, cronTickMs: 0, ...(sink ? { logArchive: sink } : {}) },
  });
  return emulator;
}

async function run(e: KubernetesEmulator, name: string): Promise<{ workflow: KubeObject; mainLog: Buffer }> {
  e.controller!.setScenario({ workflowName: name }, { logs: LOG_LINES, templateName: 'main' });
  const workflows = e.cluster.resource('argoproj.io', 'workflows');
  e.cluster.create(workflows, NS, {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name },
    spec: {
      entrypoint: 'main',
      onExit: 'exit-handler',
      podGC: { strategy: 'OnPodCompletion' },
      templates: [
        { name: 'main', container: { image: 'busybox', command: ['run'] } },
        { name: 'exit-handler', container: { image: 'busybox', command: ['exit'] } },
      ],
    },
  });
  const workflow = await e.controller!.waitForPhase(NS, name);
  return { workflow, mainLog: Buffer.from(LOG_LINES.join(''), 'utf8') };
}

function podNodes(workflow: KubeObject): Json[] {
  return Object.values((workflow['status'] as Json)['nodes'] as Record<string, Json>).filter(
    (node) => node['type'] === 'Pod',
  );
}

describe('the simulated Argo controller archives pod logs (emulator, not Argo)', () => {
  it('writes each pod’s main log under keyFormat + /main.log and records the main-logs artifact (v3.7.18 CRDs)', async () => {
    const sink = new MemorySink(KEY_FORMAT);
    const e = await start(sink);
    const { workflow } = await run(e, 'archived-run');
    expect((workflow['status'] as Json)['phase']).toBe('Succeeded');
    expect(e.controller!.errors).toEqual([]);
    const nodes = podNodes(workflow);
    expect(nodes.map((node) => node['templateName']).sort()).toEqual(['exit-handler', 'main']);
    for (const node of nodes) {
      const artifacts = (node['outputs'] as Json)['artifacts'] as Json[];
      expect(artifacts).toHaveLength(1);
      const key = artifacts[0]!['s3']['key'] as string;
      expect(artifacts[0]).toEqual({ name: 'main-logs', s3: { key } });
      // Argo's v2 pod names: the root node's pod is named like the workflow, others <workflow>-<template>-<hash>.
      expect(key).toMatch(
        new RegExp(`^${NS}/archived-run/archived-run(-${node['templateName']}-\\d+)?/main\\.log$`),
      );
      expect(sink.objects.has(key)).toBe(true);
    }
    const mainKey = (nodes.find((node) => node['templateName'] === 'main')!['outputs'] as Json)[
      'artifacts'
    ][0]['s3']['key'];
    // The log the pod wrote, byte for byte (the scenario's text as the pod log store holds it).
    expect(sink.objects.get(mainKey)?.toString('utf8')).toBe(LOG_LINES.join(''));
    // podGC deleted the pods (and their logs); the archive keeps them.
    expect(e.cluster.store.list(e.cluster.resource('', 'pods'), { namespace: NS }).items).toEqual([]);
  });

  it('uses Argo’s default keyFormat {{workflow.name}}/{{pod.name}} when the repository sets none (v4.1.2 CRDs)', async () => {
    const sink = new MemorySink();
    const e = await start(sink, [
      join(V4_FIXTURES, 'argoproj.io_workflows.yaml'),
      join(V4_FIXTURES, 'argoproj.io_cronworkflows.yaml'),
    ]);
    const { workflow } = await run(e, 'default-keys');
    expect(e.controller!.errors).toEqual([]);
    const keys = podNodes(workflow).map((node) => (node['outputs'] as Json)['artifacts'][0]['s3']['key']);
    expect(
      keys.every((key: string) => /^default-keys\/default-keys(-[a-z-]+-\d+)?\/main\.log$/.test(key)),
    ).toBe(true);
    expect([...sink.objects.keys()].sort()).toEqual([...keys].sort());
    expect(ARGO_DEFAULT_KEY_FORMAT).toBe('{{workflow.name}}/{{pod.name}}');
    expect(argoLogArchiveKey('a/{{pod.name}}/', { 'pod.name': 'p' })).toBe('a/p/main.log');
  });

  it('records no artifact when archiving is off, and reports a sink that fails instead of inventing a key', async () => {
    const off = await start(undefined);
    const { workflow } = await run(off, 'not-archived');
    expect(podNodes(workflow).every((node) => (node['outputs'] as Json)['artifacts'] === undefined)).toBe(
      true,
    );
    await off.close();
    emulator = undefined;

    const sink = new MemorySink(KEY_FORMAT);
    sink.fail = true;
    const failing = await start(sink);
    const { workflow: failed } = await run(failing, 'sink-down');
    expect((failed['status'] as Json)['phase']).toBe('Succeeded');
    expect(podNodes(failed).every((node) => (node['outputs'] as Json)['artifacts'] === undefined)).toBe(true);
    expect(
      failing.controller!.errors.some((error) => /archiving the log of pod .*bucket unreachable/.test(error)),
    ).toBe(true);
  });
});
