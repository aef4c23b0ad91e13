// What the handlers record: each function emits its catalog metrics through the recorders, with the
// right outcome labels, and the message function's log lines carry the request's context keys.
import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  LABELS,
  MANAGED_BY,
  REGISTRY_CREDENTIALS_ANNOTATIONS,
  RESOURCES,
} from '@hybrid-runner/core';
import { handler as connect } from '../../../functions/bridge/connect.ts';
import { handler as message } from '../../../functions/bridge/message.ts';
import { logger } from '../../../functions/lib/logger.ts';
import { handleHeartbeat } from '../../../functions/schedule/heartbeat.ts';
import { captureOutput } from '../observability/capture.ts';
import { AGENT_ID, TOKEN, lambdaContext, useFunctionHarness, webSocketEvent } from './harness.ts';

const h = useFunctionHarness();

const names = () => h.published().map((sample) => sample.name);

function runPipelineFrame(id: string): string {
  return JSON.stringify({
    v: 1,
    id,
    type: 'runPipeline',
    payload: {
      pipeline: { name: 'orders', fullyQualifiedName: 'mysql.prod.orders', pipelineType: 'metadata' },
      workflowConfig: { source: { type: 'mysql' } },
    },
  });
}

describe('handshake metrics', () => {
  it('counts accepted and refused handshakes', async () => {
    const headers = (token: string) => ({ Authorization: `Bearer ${token}`, 'X-Agent-Id': AGENT_ID });
    expect(await connect(webSocketEvent('$connect', { headers: headers(TOKEN) }), lambdaContext())).toEqual({
      statusCode: 200,
    });
    expect(
      await connect(webSocketEvent('$connect', { headers: headers('wrong-token-value') }), lambdaContext()),
    ).toMatchObject({ statusCode: 401 });
    expect(names().sort()).toEqual(['ConnectionsOpened', 'ConnectionsRefused']);
  });
});

describe('request metrics and log context', () => {
  it('records the request, its latency and a started run; a replay is not a second run', async () => {
    await message(webSocketEvent('$default', { body: runPipelineFrame('m-run-1') }), lambdaContext());
    await message(webSocketEvent('$default', { body: runPipelineFrame('m-run-1') }), lambdaContext());
    const samples = h.published();
    expect(samples.filter((s) => s.name === 'Requests')).toEqual([
      { name: 'Requests', dimensions: { operation: 'runPipeline', outcome: 'ok' }, value: 1 },
      { name: 'Requests', dimensions: { operation: 'runPipeline', outcome: 'ok' }, value: 1 },
    ]);
    expect(samples.filter((s) => s.name === 'RunsStarted')).toHaveLength(1);
    const latencies = samples.filter((s) => s.name === 'OperationLatency');
    expect(latencies).toHaveLength(2);
    for (const latency of latencies) {
      expect(latency.dimensions).toEqual({ operation: 'runPipeline' });
      expect(latency.value).toBeGreaterThanOrEqual(0);
    }
  });

  it('labels a failed request with its protocol error code, and an unreadable frame as unparsed', async () => {
    await message(
      webSocketEvent('$default', {
        body: JSON.stringify({ v: 1, id: 'bad-1', type: 'runPipeline', payload: {} }),
      }),
      lambdaContext(),
    );
    await message(webSocketEvent('$default', { body: 'not json' }), lambdaContext());
    const requests = h.published().filter((s) => s.name === 'Requests');
    expect(requests.map((s) => s.dimensions)).toEqual([
      { operation: 'runPipeline', outcome: 'bad_request' },
      { operation: 'unparsed', outcome: 'bad_request' },
    ]);
  });

  it('logs with requestId, connectionId, operation, pipeline and runId', async () => {
    logger.setLogLevel('DEBUG');
    const output = captureOutput();
    try {
      await message(
        webSocketEvent('$default', { connectionId: 'conn-log', body: runPipelineFrame('m-log-1') }),
        lambdaContext(),
      );
    } finally {
      output.restore();
      logger.setLogLevel('SILENT');
    }
    const answered = output.json().find((line) => line.message === 'Request answered');
    expect(answered).toMatchObject({
      requestId: 'm-log-1',
      connectionId: 'conn-log',
      operation: 'runPipeline',
      pipeline: 'mysql.prod.orders',
      runId: expect.any(String),
    });
    expect(output.text()).not.toContain(TOKEN);
  });
});

describe('heartbeat metrics', () => {
  it('reports zero open connections and the credentials expiry even when nobody is connected', async () => {
    const expiresAt = new Date(Date.now() + 6 * 3_600_000);
    h.cluster.seed(RESOURCES.secret, h.settings.namespace, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: h.settings.imagePullSecrets[0]!,
        annotations: { [REGISTRY_CREDENTIALS_ANNOTATIONS.expiresAt]: expiresAt.toISOString() },
      },
      type: 'kubernetes.io/dockerconfigjson',
    });
    await handleHeartbeat({}, lambdaContext());
    const samples = h.published();
    expect(samples.find((s) => s.name === 'OpenConnections')?.value).toBe(0);
    const hours = samples.find((s) => s.name === 'EcrTokenHoursRemaining')?.value;
    expect(hours).toBeGreaterThan(5.9);
    expect(hours).toBeLessThanOrEqual(6);
  });

  it('counts finished runs by state, runs that never started, and the reconciliation lag', async () => {
    await h.connections.put({
      connectionId: 'a',
      agentId: AGENT_ID,
      connectedAt: Date.now(),
      ttl: Date.now() / 1000 + 3600,
    });
    const seed = (name: string, status: Record<string, unknown>) =>
      h.cluster.seed(RESOURCES.workflow, h.settings.namespace, {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Workflow',
        metadata: {
          name,
          creationTimestamp: new Date(Date.now() - 120_000).toISOString(),
          labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.kind]: 'ingestion' },
          annotations: { [ANNOTATIONS.pipelineFqn]: `svc.${name}`, [ANNOTATIONS.runId]: `run-${name}` },
        },
        status,
      });
    seed('wf-done', { phase: 'Succeeded', finishedAt: new Date(Date.now() - 60_000).toISOString() });
    seed('wf-pull', { phase: 'Pending' });
    h.cluster.seed(RESOURCES.pod, h.settings.namespace, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'wf-pull-main-1', labels: { 'workflows.argoproj.io/workflow': 'wf-pull' } },
      status: {
        phase: 'Pending',
        containerStatuses: [{ name: 'main', state: { waiting: { reason: 'ImagePullBackOff' } } }],
      },
    });
    const result = await handleHeartbeat({}, lambdaContext());
    const samples = h.published();
    expect(
      samples
        .filter((s) => s.name === 'RunsFinished')
        .map((s) => s.dimensions.state)
        .sort(),
    ).toEqual(['failed', 'success']);
    expect(samples.filter((s) => s.name === 'RunsFailedBeforeStart')).toHaveLength(1);
    // One lag value per reported run (the runs the earlier requests started are reported too, as queued).
    const lags = samples.filter((s) => s.name === 'ReconciliationLag').map((s) => s.value);
    expect(lags).toHaveLength(result.reconcile!.reported);
    // The finished run ended a minute ago; the others changed state just now (created, or found stuck).
    expect(lags.filter((lag) => lag >= 59 && lag < 70)).toHaveLength(1);
    expect(lags.filter((lag) => lag < 5)).toHaveLength(lags.length - 1);
  });
});
