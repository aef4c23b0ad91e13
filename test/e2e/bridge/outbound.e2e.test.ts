// What only the outbound mode has: the keeper dialling the Collate-side stand-in with the bot JWT and agent id,
// its events over its own socket, refusals that stop it, and the handover between keepers under continuous
// requests. The real keeper handler on a shortened schedule, dynalite for the lease and idempotency, the
// FakeCluster. Not the real Collate server (its routing and limits are the stand-in's reading of the protocol).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeClient, MAX_MESSAGE_BYTES, type RunnerStatusPayload } from '@hybrid-runner/protocol';
import { RESOURCES } from '@hybrid-runner/core';
import { AGENT_ID, TOKEN, startOutboundBridgeStage, type OutboundBridgeStage } from './stage.ts';
import { openRaw } from './raw-socket.ts';
import type { FakeCluster } from '../../support/fake-cluster.ts';

function client(url: string, requestTimeoutMs = 20_000) {
  return BridgeClient.connect(url, {
    token: TOKEN,
    agentId: AGENT_ID,
    requestTimeoutMs,
    reconnect: { maxAttempts: 0 },
  });
}

const outcomes = (stage: OutboundBridgeStage, outcome: string) =>
  stage.keeperResults.filter((result) => (result as { outcome?: string }).outcome === outcome).length;

describe('dial-out keeper (Collate-side stand-in, dynalite, FakeCluster)', () => {
  let stage: OutboundBridgeStage;
  beforeAll(async () => {
    stage = await startOutboundBridgeStage();
  }, 30_000);
  afterAll(async () => {
    await stage?.close();
  });

  it('connects with the bot JWT and agent id and sends runnerStatus over its own socket', async () => {
    expect(stage.collateSide.agentConnections()).toBe(1);
    const bridge = await client(stage.url);
    try {
      const status = await new Promise<RunnerStatusPayload>((resolve) => bridge.on('runnerStatus', resolve));
      expect(status).toMatchObject({ agentId: AGENT_ID, status: 'active', connections: 1 });
      expect(await bridge.request('ping', {})).toMatchObject({ pong: true, agentId: AGENT_ID });
    } finally {
      await bridge.close();
    }
  });

  it('answers a frame over 128 KiB with payload_too_large and keeps its connection (no API Gateway to close it)', async () => {
    const raw = await openRaw(stage.url);
    try {
      const opened = stage.collateSide.stats().agentConnectionsOpened;
      raw.socket.send(
        JSON.stringify({ v: 1, id: 'big-1', type: 'ping', payload: { x: 'x'.repeat(MAX_MESSAGE_BYTES) } }),
      );
      expect(await raw.next()).toMatchObject({ id: null, ok: false, error: { code: 'payload_too_large' } });
      raw.socket.send(JSON.stringify({ v: 1, id: 'after-big', type: 'ping', payload: {} }));
      expect(await raw.next()).toMatchObject({ id: 'after-big', ok: true });
      expect(stage.collateSide.stats().agentConnectionsOpened).toBe(opened);
    } finally {
      await raw.close();
    }
  });

  it('stops dialling at a 401 (one attempt per keeper, the alarm metric recorded) and recovers once admitted', async () => {
    stage.collateSide.refuseAgents(401);
    stage.collateSide.dropAgents();
    await expect.poll(() => outcomes(stage, 'refused'), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    // Every refused keeper dialled exactly once: no retry loop against a refusal.
    const refused = stage.keeperResults.filter((r) => (r as { outcome?: string }).outcome === 'refused');
    expect(refused.every((r) => (r as { status?: number }).status === 401)).toBe(true);
    stage.collateSide.refuseAgents(undefined);
    await expect.poll(() => stage.collateSide.agentConnections(), { timeout: 10_000 }).toBe(1);
    // (Polled: a keeper refused just before admission may still be finishing.)
    await expect
      .poll(() => stage.collateSide.stats().refusedHandshakes[401] - outcomes(stage, 'refused'))
      .toBe(0);
    // What the OutboundDialRefused alarm watches, published by the middy middleware at each keeper's end.
    await expect.poll(() => stage.metricSum('OutboundDialRefused')).toBe(outcomes(stage, 'refused'));
    const bridge = await client(stage.url);
    try {
      expect(await bridge.request('ping', {})).toMatchObject({ pong: true });
    } finally {
      await bridge.close();
    }
    expect(stage.handlerErrors).toEqual([]);
  }, 30_000);
});

describe('handover under continuous requests (Collate-side stand-in, dynalite, FakeCluster)', () => {
  it('hands over every few seconds with no moment unconnected, no request lost, answered twice or misrouted', async () => {
    // Keepers live 4 s: a successor every ~2.7 s, so a 12 s run crosses several handovers.
    const stage = await startOutboundBridgeStage({
      timing: { lifetimeMs: 4_000, tickMs: 200, heartbeatMs: 500, quietMs: 500 },
    });
    const clients = await Promise.all(Array.from({ length: 8 }, () => client(stage.url, 30_000)));
    try {
      const cluster = stage.cluster as FakeCluster;
      const pipeline = {
        name: 'handover',
        fullyQualifiedName: 'svc.db.handover',
        pipelineType: 'metadata' as const,
      };
      await clients[0]!.request('deployPipeline', { pipeline, workflowConfig: { source: {} } });
      const workflowsBefore = cluster.all(RESOURCES.workflow).length;
      const stopAt = Date.now() + 12_000;
      const answered = new Map<string, number>();
      let runs = 0;
      await Promise.all(
        clients.map(async (bridge, c) => {
          for (let r = 0; Date.now() < stopAt; r++) {
            const id = `ho-${c}-${r}`;
            // Every tenth request starts a run: executed once per id even across a handover.
            if (r % 10 === 0) {
              runs++;
              await bridge.request('runPipeline', { pipeline }, { id });
            } else {
              await bridge.request('getPipelineStatus', { pipeline }, { id });
            }
            answered.set(id, (answered.get(id) ?? 0) + 1);
          }
        }),
      );
      const stats = stage.collateSide.stats();
      expect(outcomes(stage, 'handed-over')).toBeGreaterThanOrEqual(3);
      expect(outcomes(stage, 'left-without-successor')).toBe(0);
      expect(stage.collateSide.gapMs()).toBe(0);
      expect(stats.maxConcurrentAgentConnections).toBe(2);
      // Each successor opened beside its predecessor (the stand-in counts what was then still in flight there).
      expect(stats.inFlightAtHandover.length).toBeGreaterThanOrEqual(outcomes(stage, 'handed-over'));
      expect([...answered.values()].every((count) => count === 1)).toBe(true);
      expect(stats.responsesDelivered).toBe(answered.size + 1);
      expect(stats.duplicateResponses).toBe(0);
      expect(stats.misroutedResponses).toBe(0);
      // Every request a keeper received was answered on the socket it came on (none unsent at its close).
      // None was left unanswered on a closing socket for Collate to repeat elsewhere.
      const left = stage.keeperResults.filter((r) => (r as { outcome?: string }).outcome === 'handed-over');
      expect(left.every((r) => (r as { unsent: number }).unsent === 0)).toBe(true);
      expect(stats.repeated).toBe(0);
      expect(stats.requestsSent).toBe(answered.size + 1);
      console.info(
        `handover e2e: ${left.length} handovers, ${answered.size} requests, ${stats.repeated} repeated, in flight at each handover: ${stats.inFlightAtHandover.join(' ')}`,
      );
      expect(cluster.all(RESOURCES.workflow).length - workflowsBefore).toBe(runs);
      expect(stage.handlerErrors).toEqual([]);
    } finally {
      await Promise.all(clients.map((bridge) => bridge.close()));
      await stage.close();
    }
  }, 60_000);
});
