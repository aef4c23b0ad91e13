// A namespace created after the registry refresh gets the pull secret within one heartbeat, end to end
// through the local stage: the unchanged heartbeat and refresh handlers, the Kubernetes emulator with the
// stack's own RBAC (stacks/cluster-access.ts: the bridge group may only list namespaces cluster-wide), the
// ECR and Secrets Manager wire stand-ins. The emulator's audit log shows who did what. It cannot prove
// Lambda's asynchronous invocation (the local stage runs the refresh in-process; see
// test/unit/aws/registry-refresh-starter.test.ts for the Invoke request against AWS's model).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalStage, type LocalStage, type TaskOutcome } from '@hybrid-runner/local';
import { logger } from '../../../functions/lib/logger.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const PULL_SECRET = 'omd-registry-credentials';
const saved = { ...process.env };
let directory: string;
let stage: LocalStage;
const outcomes: TaskOutcome[] = [];

/** Resolves with the next outcome of `task` reported after this call. */
function nextOutcome(task: string, timeoutMs = 20_000): Promise<TaskOutcome> {
  const seen = outcomes.length;
  return vi.waitFor(
    () => {
      const found = outcomes.slice(seen).find((outcome) => outcome.task === task);
      if (!found) throw new Error(`no ${task} outcome yet`);
      return found;
    },
    { timeout: timeoutMs, interval: 25 },
  );
}

beforeAll(async () => {
  logger.setLogLevel('CRITICAL');
  const print = console.log.bind(console);
  vi.spyOn(console, 'log').mockImplementation((...values: unknown[]) => {
    if (!String(values[0]).startsWith('metric ')) print(...values);
  });
  directory = mkdtempSync(join(tmpdir(), 'new-namespaces-'));
  const started = new Promise<void>((done) => {
    stage = undefined as unknown as LocalStage;
    void startLocalStage({
      agentId: 'new-namespaces-runner',
      token: 'eyJhbGciOiJSUzI1NiJ9.new-namespaces-bot-token.c2lnbmF0dXJl',
      port: 0,
      kubeconfigPath: join(directory, 'kubeconfig'),
      cli: { node: process.execPath, script: join(ROOT, 'packages/cli/bin/hybrid-runner.js') },
      // Long periods: only the runs this test asks for happen (and the refresh at start).
      heartbeatSeconds: 300,
      ecrRefreshSeconds: 86_400,
      env: { HYBRID_RUNNER__ecr__targetNamespaces__include: '["team-*"]' },
      onTask: (outcome) => {
        outcomes.push(outcome);
        if (outcome.task === 'ecr-refresh' && outcomes.filter((o) => o.task === 'ecr-refresh').length === 1)
          done();
      },
    }).then((ready) => (stage = ready));
  });
  await started;
  await vi.waitFor(() => expect(stage).toBeDefined());
}, 60_000);

afterAll(async () => {
  await stage?.close();
  vi.restoreAllMocks();
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  rmSync(directory, { recursive: true, force: true });
});

describe('a new namespace gets the pull secret within one heartbeat (local stage: Kubernetes emulator with the stack RBAC, ECR wire stand-in)', () => {
  it('serves a matching namespace created after the refresh in the next beat, and leaves others alone', async () => {
    const emulator = stage.emulator!;
    const namespaces = emulator.cluster.resource('', 'namespaces');
    const secrets = emulator.cluster.resource('', 'secrets');
    expect(outcomes.find((outcome) => outcome.task === 'ecr-refresh')?.ok).toBe(true);
    emulator.cluster.create(namespaces, undefined, { metadata: { name: 'team-new' } });
    emulator.cluster.create(namespaces, undefined, { metadata: { name: 'marketing' } });
    expect(emulator.cluster.get(secrets, 'team-new', PULL_SECRET)).toBeUndefined();

    const refreshed = nextOutcome('ecr-refresh');
    const beat = await stage.scheduler.runNow('heartbeat');
    expect(beat.ok).toBe(true);
    expect(beat.summary).toContain('registry refresh started for team-new');
    expect((await refreshed).ok).toBe(true);
    expect(emulator.cluster.get(secrets, 'team-new', PULL_SECRET)?.type).toBe(
      'kubernetes.io/dockerconfigjson',
    );
    expect(emulator.cluster.get(secrets, 'marketing', PULL_SECRET)).toBeUndefined();

    // The local stage's functions share one identity (both groups), so every call was allowed; the
    // heartbeat's list is among them, and the stack's RBAC lets the bridge group alone make it and
    // nothing more cluster-wide (no Secret outside the ingestion namespace).
    const user = stage.runnerSubject!.user;
    expect(emulator.audit.entries({ user, allowed: false })).toEqual([]);
    expect(emulator.audit.entries({ user })).toContainEqual(
      expect.objectContaining({ verb: 'list', resource: 'namespaces', namespace: undefined }),
    );
    const bridgeMay = (verb: string, resource: string, namespace?: string) =>
      emulator.rules.allows({
        user: 'bridge-only',
        groups: ['hybrid-runner:bridge', 'system:authenticated'],
        verb,
        apiGroup: '',
        resource,
        namespace,
        name: undefined,
      });
    expect(bridgeMay('list', 'namespaces')).toBe(true);
    expect(bridgeMay('create', 'secrets', 'team-new')).toBe(false);
    expect(bridgeMay('get', 'secrets', 'team-new')).toBe(false);
    expect(bridgeMay('delete', 'namespaces')).toBe(false);

    // Served: the next beat starts no refresh.
    const quiet = await stage.scheduler.runNow('heartbeat');
    expect(quiet.summary).not.toContain('registry refresh started');
  }, 60_000);
});
