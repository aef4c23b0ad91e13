// End to end over a real WebSocket, in both bridge modes. Inbound: the real handlers behind the local API
// Gateway stand-in, the management API through the real SDK client. Outbound: the real keeper handler dialling
// the Collate-side stand-in, the tests acting as Collate through its relay. Both: DynamoDB through dynalite,
// core's real operations over the in-memory FakeCluster. Proves the bridge's behaviour; not IAM, not API
// Gateway itself, not the real Collate server, not a real cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BridgeAuthError,
  BridgeClient,
  BridgeRequestError,
  MAX_MESSAGE_BYTES,
  OPERATIONS,
} from '@hybrid-runner/protocol';
import { ARGO_WORKFLOW_LABEL, RESOURCES } from '@hybrid-runner/core';
import {
  AGENT_ID,
  BRIDGE_MODES,
  TOKEN,
  startBridgeStage,
  startStage,
  type BridgeStage,
  type BridgeUnderTest,
} from './stage.ts';
import { expectClosingOperations } from './operations.ts';
import { GOOD_HEADERS, handshakeStatus, openRaw } from './raw-socket.ts';
import type { FakeCluster } from '../../support/fake-cluster.ts';

/** The inbound stage of the API Gateway-only suites (handshake, heartbeat pruning, limits). */
let stage: BridgeStage;
beforeAll(async () => {
  stage = await startBridgeStage();
});
afterAll(async () => {
  await stage?.close();
});

const pipeline = {
  name: 'mysql_metadata',
  fullyQualifiedName: 'prod.mysql.mysql_metadata',
  pipelineType: 'metadata' as const,
};
const workflowConfig = {
  source: { type: 'mysql', serviceName: 'mysql', sourceConfig: { config: { type: 'DatabaseMetadata' } } },
  sink: { type: 'metadata-rest', config: {} },
  workflowConfig: { openMetadataServerConfig: { hostPort: 'https://collate.example/api' } },
};

function client(
  overrides: { token?: string; agentId?: string; requestTimeoutMs?: number; url?: string } = {},
) {
  return BridgeClient.connect(overrides.url ?? stage.url, {
    token: overrides.token ?? TOKEN,
    agentId: overrides.agentId ?? AGENT_ID,
    requestTimeoutMs: overrides.requestTimeoutMs ?? 20_000,
    reconnect: { maxAttempts: 0 },
  });
}

describe('handshake (local API Gateway stand-in, dynalite)', () => {
  it('refuses a connection without a token with 401', async () => {
    expect(await handshakeStatus(stage.url, { 'X-Agent-Id': AGENT_ID })).toBe(401);
  });

  it('refuses a wrong token with 401 and another agent id with 403', async () => {
    expect(await handshakeStatus(stage.url, { Authorization: 'Bearer wrong', 'X-Agent-Id': AGENT_ID })).toBe(
      401,
    );
    expect(
      await handshakeStatus(stage.url, { Authorization: `Bearer ${TOKEN}`, 'X-Agent-Id': 'other' }),
    ).toBe(403);
    await expect(client({ token: 'wrong' })).rejects.toMatchObject({ status: 401 });
    await expect(client({ agentId: 'other' })).rejects.toBeInstanceOf(BridgeAuthError);
  });

  it('accepts headers in any case and stores the connection; closing removes it', async () => {
    const raw = await openRaw(stage.url, { authorization: `bearer ${TOKEN}`, 'x-agent-id': AGENT_ID });
    const [id] = stage.gateway.connectionIds();
    expect(id).toBeDefined();
    expect(await stage.connections.get(id!)).toMatchObject({ agentId: AGENT_ID, sourceIp: '127.0.0.1' });
    await raw.close();
    await expect.poll(() => stage.connections.get(id!)).toBeUndefined();
  });
});

describe('message size (local API Gateway stand-in)', () => {
  it('closes a connection that sends a binary frame with 1003, as API Gateway does', async () => {
    const raw = await openRaw(stage.url);
    raw.socket.send(Buffer.from([0xff, 0xfe, 0x00]), { binary: true });
    expect((await raw.closed).code).toBe(1003);
  });

  it('closes a connection that sends a message over 128 KiB with 1009', async () => {
    const raw = await openRaw(stage.url);
    raw.socket.send('x'.repeat(MAX_MESSAGE_BYTES + 1));
    expect((await raw.closed).code).toBe(1009);
  });
});

describe('heartbeat (local API Gateway stand-in, dynalite, FakeCluster)', () => {
  it('prunes a connection whose record outlived it (GoneException on send)', async () => {
    const raw = await openRaw(stage.url);
    try {
      const ttl = Math.floor(Date.now() / 1000) + 3600;
      await stage.connections.put({
        connectionId: 'Z29uZS1jb25uZWN0aW9u',
        agentId: AGENT_ID,
        connectedAt: 0,
        ttl,
      });
      const result = await stage.heartbeat();
      expect(result.heartbeat.gone).toEqual(['Z29uZS1jb25uZWN0aW9u']);
      expect(await stage.connections.get('Z29uZS1jb25uZWN0aW9u')).toBeUndefined();
      expect(await raw.next()).toMatchObject({
        type: 'event',
        event: 'runnerStatus',
        payload: { agentId: AGENT_ID },
      });
    } finally {
      await raw.close();
    }
  });
});

describe('limits (as the local API Gateway stand-in reproduces them)', () => {
  it('heartbeats keep a connection alive past a shortened idle limit; without them it is closed', async () => {
    // An idle limit well above one heartbeat's duration on a loaded 2-core machine (a beat writes to
    // dynalite and posts through the management API), and a run of beats that outlasts it twice.
    const short = await startBridgeStage({ limits: { idleTimeoutMs: 1000 } });
    try {
      const kept = await openRaw(short.url, GOOD_HEADERS);
      const started = Date.now();
      while (Date.now() - started < 2500) {
        await short.heartbeat();
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      expect(kept.socket.readyState).toBe(kept.socket.OPEN);
      const events = [];
      for (let i = 0; i < 3; i++) events.push(await kept.next());
      expect(events.every((e) => (e as { event?: string }).event === 'runnerStatus')).toBe(true);
      // No more heartbeats: API Gateway's idle rule closes it (1001 Going away).
      expect((await kept.closed).code).toBe(1001);
      expect(Date.now() - started).toBeGreaterThan(2500);
    } finally {
      await short.close();
    }
  });

  it('closes connections at the maximum connection duration', async () => {
    const short = await startBridgeStage({ limits: { maxConnectionMs: 300 } });
    try {
      const raw = await openRaw(short.url, GOOD_HEADERS);
      expect((await raw.closed).code).toBe(1001);
    } finally {
      await short.close();
    }
  });
});

// Last: each stage configures the process-wide composition roots, and closing one resets them.
describe('bridge in both modes (local API Gateway stand-in or Collate-side stand-in, dynalite, FakeCluster)', () => {
  for (const mode of BRIDGE_MODES) {
    describe(mode, () => {
      let under: BridgeUnderTest;
      beforeAll(async () => {
        under = await startStage(mode);
      }, 30_000);
      afterAll(async () => {
        await under?.close();
      });

      describe('requests', () => {
        it(`round-trips every operation (${OPERATIONS.length}) through core over the fake cluster`, async () => {
          const bridge = await client({ url: under.url });
          try {
            expect(await bridge.request('ping', {})).toMatchObject({ pong: true, agentId: AGENT_ID });
            expect(await bridge.request('getServiceStatus', {})).toMatchObject({
              code: 200,
              platform: 'Argo',
            });
            expect(await bridge.request('deployPipeline', { pipeline, workflowConfig })).toMatchObject({
              code: 200,
            });
            const run = await bridge.request('runPipeline', { pipeline });
            expect(run).toMatchObject({
              code: 200,
              runId: expect.any(String),
              workflowName: expect.any(String),
            });
            const status = await bridge.request('getPipelineStatus', { pipeline });
            expect(status.runs.map((r) => r.runId)).toContain(run.runId);
            // The fake cluster has no controller: start the run's pod by hand, with a log line.
            const cluster = under.cluster as FakeCluster;
            const podName = `${run.workflowName}-main-1234567890`;
            cluster.seed(RESOURCES.pod, under.settings.namespace, {
              apiVersion: 'v1',
              kind: 'Pod',
              metadata: { name: podName, labels: { [ARGO_WORKFLOW_LABEL]: run.workflowName } },
              status: { phase: 'Running' },
            });
            cluster.setPodLog(under.settings.namespace, podName, 'Ingesting tables\n');
            const logs = await bridge.request('getIngestionLogs', { pipeline, runId: run.runId });
            expect(logs).toMatchObject({
              ingestion_task: expect.stringContaining('Ingesting tables'),
              total: 1,
            });
            expect(await bridge.request('killIngestion', { pipeline, runId: run.runId })).toMatchObject({
              code: 200,
            });
            await expectClosingOperations(bridge, pipeline);
          } finally {
            await bridge.close();
          }
        });

        it('answers a repeated request id with the first response and runs it once', async () => {
          const bridge = await client({ url: under.url });
          try {
            await bridge.request('deployPipeline', { pipeline, workflowConfig });
            const cluster = under.cluster as FakeCluster;
            const before = cluster.all(RESOURCES.workflow).length;
            const first = await bridge.request('runPipeline', { pipeline }, { id: 'retry-run-1' });
            const again = await bridge.request('runPipeline', { pipeline }, { id: 'retry-run-1' });
            expect(again).toEqual(first);
            expect(cluster.all(RESOURCES.workflow).length).toBe(before + 1);
          } finally {
            await bridge.close();
          }
        });

        it('runs concurrent duplicates (two connections, same id) once; both get the same response', async () => {
          const [a, b] = await Promise.all([client({ url: under.url }), client({ url: under.url })]);
          try {
            const cluster = under.cluster as FakeCluster;
            const before = cluster.all(RESOURCES.workflow).length;
            const [first, second] = await Promise.all([
              a.request('runPipeline', { pipeline }, { id: 'race-run-1' }),
              b.request('runPipeline', { pipeline }, { id: 'race-run-1' }),
            ]);
            expect(second).toEqual(first);
            expect(cluster.all(RESOURCES.workflow).length).toBe(before + 1);
          } finally {
            await Promise.all([a.close(), b.close()]);
          }
        });

        it('maps a domain error to its code with a message for people', async () => {
          const bridge = await client({ url: under.url });
          try {
            const error = await bridge
              .request('deployPipeline', { pipeline, workflowConfig: { password: 'secret:/elsewhere/db' } })
              .catch((e: unknown) => e);
            expect(error).toBeInstanceOf(BridgeRequestError);
            expect(error).toMatchObject({ code: 'secret_reference_invalid' });
          } finally {
            await bridge.close();
          }
        });

        it('answers malformed frames with errors and keeps the connection open', async () => {
          const raw = await openRaw(under.url);
          try {
            raw.socket.send('this is not json');
            expect(await raw.next()).toMatchObject({
              v: 1,
              id: null,
              type: 'response',
              ok: false,
              error: { code: 'bad_request' },
            });
            raw.socket.send(JSON.stringify({ v: 1, id: 'x-1', type: 'noSuchOperation', payload: {} }));
            expect(await raw.next()).toMatchObject({ id: 'x-1', error: { code: 'unknown_operation' } });
            raw.socket.send(JSON.stringify({ v: 2, id: 'x-2', type: 'ping', payload: {} }));
            expect(await raw.next()).toMatchObject({ id: 'x-2', error: { code: 'unsupported_version' } });
            raw.socket.send(JSON.stringify({ v: 1, id: 'x-3', type: 'runPipeline', payload: {} }));
            expect(await raw.next()).toMatchObject({ id: 'x-3', error: { code: 'bad_request' } });
            raw.socket.send(JSON.stringify({ v: 1, id: 'x-4', type: 'ping', payload: {} }));
            expect(await raw.next()).toMatchObject({ id: 'x-4', ok: true, payload: { pong: true } });
          } finally {
            await raw.close();
          }
        });

        it('never echoes the bearer token', async () => {
          const raw = await openRaw(under.url);
          try {
            raw.socket.send(JSON.stringify({ v: 1, id: 'leak-1', type: TOKEN, payload: { token: TOKEN } }));
            const answer = await raw.next();
            expect(JSON.stringify(answer)).not.toContain(TOKEN);
          } finally {
            await raw.close();
          }
        });
      });

      describe('scale (not API Gateway quotas, not Collate server limits)', () => {
        it('200 concurrent connections × 10 requests: 2,000 correct responses, none lost or mis-routed', async () => {
          // Generous timeout: 2,000 requests in flight share two CPU cores with dynalite and the other test files.
          const clients = await Promise.all(
            Array.from({ length: 200 }, () => client({ url: under.url, requestTimeoutMs: 100_000 })),
          );
          try {
            const results = await Promise.all(
              clients.map(async (bridge, c) =>
                Promise.all(
                  Array.from({ length: 10 }, async (_, r) => {
                    const id = `scale-${c}-${r}`;
                    // getPipelineStatus for a per-request pipeline: the answer is tied to this exact request.
                    const fqn = `svc.scale.c${c}r${r}`;
                    const result = await bridge.request(
                      'getPipelineStatus',
                      {
                        pipeline: {
                          name: `c${c}r${r}`,
                          fullyQualifiedName: fqn,
                          pipelineType: 'metadata' as const,
                        },
                      },
                      { id },
                    );
                    return { id, runs: result.runs.length };
                  }),
                ),
              ),
            );
            const flat = results.flat();
            expect(flat).toHaveLength(2000);
            expect(new Set(flat.map((r) => r.id)).size).toBe(2000);
            expect(flat.every((r) => r.runs === 0)).toBe(true);
            expect(under.handlerErrors).toEqual([]);
          } finally {
            await Promise.all(clients.map((bridge) => bridge.close()));
          }
        }, 150_000);
      });
    });
  }
});
