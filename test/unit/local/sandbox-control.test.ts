import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineSelector } from '@hybrid-runner/core';
import type { Scenario, ScenarioMatch, SimulatedArgoController } from '@hybrid-runner/k8s-emulator';
import {
  DEFAULT_SLOW_RUN_SECONDS,
  LOCAL_METRICS_PATH,
  scenarioFor,
  startSandboxControl,
  type SandboxControl,
} from '@hybrid-runner/local';

const TOKEN = 'sandbox-test-token';

/** Records what the control endpoint asks of the controller (the only method it uses). */
class RecordingController {
  readonly active: Array<{ match: ScenarioMatch; scenario: Scenario }> = [];
  setScenario(match: ScenarioMatch, scenario: Scenario) {
    const entry = { match, scenario };
    this.active.push(entry);
    return { remove: () => this.active.splice(this.active.indexOf(entry), 1) };
  }
}

let control: SandboxControl;
const controller = new RecordingController();
beforeAll(async () => {
  control = await startSandboxControl({
    controller: controller as unknown as SimulatedArgoController,
    token: TOKEN,
  });
});
afterAll(() => control.close());

function post(
  body: unknown,
  token: string | undefined = TOKEN,
  path = '/sandbox/scenarios',
  method = 'POST',
) {
  return fetch(new URL(path, control.url), {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(method === 'POST' ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
}

describe('scenarioFor', () => {
  it.each([
    [{ outcome: 'succeed' }, { outcome: 'succeed' }],
    [{ outcome: 'slow' }, { outcome: 'succeed', durationMs: DEFAULT_SLOW_RUN_SECONDS * 1000 }],
    [
      { outcome: 'slow', durationSeconds: 5 },
      { outcome: 'succeed', durationMs: 5000 },
    ],
    [{ outcome: 'fail' }, { outcome: 'fail', exitCode: 1 }],
    [
      { outcome: 'image-pull-error', message: 'denied' },
      { outcome: 'imagePullError', message: 'denied' },
    ],
    [{ outcome: 'unschedulable' }, { outcome: 'unschedulable' }],
    [{ outcome: 'evicted-once' }, { outcome: 'evictedOnce' }],
  ] as const)('%o → %o, for the main pods only', (request, expected) => {
    const scenario = scenarioFor({ pipelineFqn: 'svc.p', ...request });
    expect(scenario).toEqual({ ...expected, templateName: 'main' });
  });
});

describe('the sandbox control endpoint', () => {
  it('sets a scenario matched by the pipeline label, replacing the previous one for that pipeline', async () => {
    const first = await post({ pipelineFqn: 'svc.db.p1', outcome: 'fail' });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      labelSelector: pipelineSelector('svc.db.p1'),
      outcome: 'fail',
    });
    const second = await post({ pipelineFqn: 'svc.db.p1', outcome: 'slow', durationSeconds: 30 });
    expect(second.status).toBe(200);
    await post({ pipelineFqn: 'other.p2', outcome: 'unschedulable' });
    expect(controller.active).toEqual([
      {
        match: { labelSelector: pipelineSelector('svc.db.p1') },
        scenario: { outcome: 'succeed', durationMs: 30_000, templateName: 'main' },
      },
      {
        match: { labelSelector: pipelineSelector('other.p2') },
        scenario: { outcome: 'unschedulable', templateName: 'main' },
      },
    ]);
  });

  it('requires the stage token', async () => {
    const before = controller.active.length;
    expect((await post({ pipelineFqn: 'a.b', outcome: 'fail' }, '')).status).toBe(401);
    const wrong = await post({ pipelineFqn: 'a.b', outcome: 'fail' }, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      error: 'Send the local stage token as "Authorization: Bearer <token>".',
    });
    expect(controller.active.length).toBe(before);
  });

  it('answers bad requests with what to fix', async () => {
    const unknown = await post({ pipelineFqn: 'a.b', outcome: 'explode' });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()) as { error: string }).toMatchObject({
      error: expect.stringContaining(
        'outcome must be one of succeed, fail, image-pull-error, unschedulable, slow, evicted-once',
      ),
    });
    const negative = await post({ pipelineFqn: 'a.b', outcome: 'slow', durationSeconds: -1 });
    expect(((await negative.json()) as { error: string }).error).toContain(
      'durationSeconds must be a positive',
    );
    const extra = await post({ pipelineFqn: 'a.b', outcome: 'slow', colour: 'red' });
    expect(extra.status).toBe(400);
    const notJson = await post('{nope');
    expect(await notJson.json()).toEqual({ error: 'Bad request: the body is not JSON.' });
    expect((await post({}, TOKEN, '/elsewhere')).status).toBe(404);
    expect((await post(undefined, TOKEN, '/sandbox/scenarios', 'GET')).status).toBe(405);
  });
});

describe('the metrics snapshot on the control endpoint', () => {
  const snapshot = { since: '2026-01-01T00:00:00.000Z', metrics: [] };
  let metricsOnly: SandboxControl;
  beforeAll(async () => {
    // As with a real cluster: no Argo stand-in, only the metrics.
    metricsOnly = await startSandboxControl({ token: TOKEN, metrics: () => snapshot });
  });
  afterAll(() => metricsOnly.close());

  const get = (token?: string, method = 'GET') =>
    fetch(new URL(LOCAL_METRICS_PATH, metricsOnly.url), {
      method,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  it('serves the snapshot as JSON to the stage token only', async () => {
    const answer = await get(TOKEN);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual(snapshot);
    expect((await get()).status).toBe(401);
    expect((await get('not-the-token')).status).toBe(401);
    expect((await get(TOKEN, 'POST')).status).toBe(405);
  });

  it('answers 404 for scenarios without a sandbox cluster, and for metrics when none are served', async () => {
    const scenario = await fetch(new URL('/sandbox/scenarios', metricsOnly.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: '{}',
    });
    expect(scenario.status).toBe(404);
    expect(((await scenario.json()) as { error: string }).error).toContain(`GET ${LOCAL_METRICS_PATH}`);
    expect((await post(undefined, TOKEN, LOCAL_METRICS_PATH, 'GET')).status).toBe(404);
  });
});
