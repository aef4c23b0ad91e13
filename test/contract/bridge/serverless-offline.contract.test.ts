// The UNCHANGED bridge handlers (functions/bridge/*.ts, loaded by path) behind serverless-offline's WebSocket
// emulation (npm, written by others) instead of our local API Gateway: its $connect/$default/$disconnect
// events, its @connections endpoint reached by our real ManagementApiSender through the SDK, and the local
// stage's other stand-ins behind (dynalite, the Secrets Manager and EKS wire stand-ins, the Kubernetes
// emulator with its simulated Argo controller). It proves the handlers do not depend on how OUR gateway
// builds events; it cannot prove API Gateway itself (serverless-offline is an emulation too).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbConnectionStore } from '@hybrid-runner/aws';
import { FUNCTION_ENV } from '@hybrid-runner/config';
import { startLocalStage, type LocalStage } from '@hybrid-runner/local';
import { OBSERVABILITY_ENV } from '@hybrid-runner/observability';
import { logger } from '../../../functions/lib/logger.ts';
import { serverlessOfflineWebSocketApi } from '../../support/serverless-offline.ts';
import { handshakeStatus } from '../../support/websocket-handshake.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const AGENT_ID = 'offline-runner';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.offline-bot-token-never-echoed.c2lnbmF0dXJl';
const GOOD = { Authorization: `Bearer ${TOKEN}`, 'X-Agent-Id': AGENT_ID };

let directory: string;
let stage: LocalStage;
let dynamo: DynamoDBClient;
let connections: DynamoDbConnectionStore;
const saved = { ...process.env };

beforeAll(async () => {
  logger.setLogLevel('CRITICAL');
  const print = console.log.bind(console);
  vi.spyOn(console, 'log').mockImplementation((...values: unknown[]) => {
    if (!String(values[0]).startsWith('metric ')) print(...values);
  });
  directory = mkdtempSync(join(tmpdir(), 'serverless-offline-'));
  stage = await startLocalStage({
    agentId: AGENT_ID,
    token: TOKEN,
    port: 0,
    kubeconfigPath: join(directory, 'kubeconfig'),
    cli: { node: process.execPath, script: join(ROOT, 'packages/cli/bin/hybrid-runner.js') },
    // Run by the tests (runNow), not by the clock.
    heartbeatSeconds: 300,
    controller: { podRunMs: 200 },
    onTask: () => {},
    // The handlers run in serverless-offline's worker threads: quiet their log lines and metric prints.
    webSocketApi: serverlessOfflineWebSocketApi({
      environment: { POWERTOOLS_LOG_LEVEL: 'CRITICAL', [OBSERVABILITY_ENV.metricsSink]: 'off' },
    }),
  });
  dynamo = new DynamoDBClient({});
  connections = new DynamoDbConnectionStore({
    client: dynamo,
    tableName: process.env[FUNCTION_ENV.connectionsTable]!,
  });
}, 90_000);

afterAll(async () => {
  dynamo?.destroy();
  await stage?.close();
  vi.restoreAllMocks();
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  rmSync(directory, { recursive: true, force: true });
});

/** The handshake's HTTP status (101 when accepted). */
const handshake = (headers: Record<string, string>) => handshakeStatus(stage.url, headers);

async function open(): Promise<{ socket: WebSocket; frames: Array<Record<string, unknown>> }> {
  const socket = new WebSocket(stage.url, { headers: GOOD });
  const frames: Array<Record<string, unknown>> = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await new Promise<void>((done, fail) => {
    socket.once('open', () => done());
    socket.once('error', fail);
  });
  return { socket, frames };
}

async function connectionCount(): Promise<number> {
  return (await connections.list()).items.length;
}

describe('bridge handlers under serverless-offline (a second API Gateway emulation) with the AWS stand-ins and the Kubernetes emulator', () => {
  it('refuses a missing token with 401 and another agent id with 403, and accepts the right pair', async () => {
    expect(await handshake({})).toBe(401);
    expect(await handshake({ Authorization: 'Bearer not-the-token', 'X-Agent-Id': AGENT_ID })).toBe(401);
    expect(await handshake({ ...GOOD, 'X-Agent-Id': 'another-runner' })).toBe(403);
    expect(await handshake(GOOD)).toBe(101);
  });

  it('remembers an accepted connection and forgets it on $disconnect', async () => {
    await expect.poll(connectionCount, { timeout: 10_000 }).toBe(0);
    const { socket } = await open();
    await expect.poll(connectionCount, { timeout: 10_000 }).toBe(1);
    socket.close(1000);
    await expect.poll(connectionCount, { timeout: 10_000 }).toBe(0);
  });

  it('answers a request through its @connections endpoint, reached by the real sender via the SDK', async () => {
    const { socket, frames } = await open();
    try {
      socket.send(JSON.stringify({ v: 1, id: 'offline-ping-1', type: 'ping', payload: {} }));
      await expect
        .poll(() => frames.find((frame) => frame.id === 'offline-ping-1'), { timeout: 20_000 })
        .toMatchObject({ v: 1, type: 'response', ok: true, payload: { pong: true } });
      socket.send(JSON.stringify({ v: 1, id: 'offline-status-1', type: 'getServiceStatus', payload: {} }));
      await expect
        .poll(() => frames.find((frame) => frame.id === 'offline-status-1'), { timeout: 20_000 })
        .toMatchObject({ type: 'response', ok: true });
    } finally {
      socket.close();
    }
  });

  it('prunes the record of a gone connection when @connections answers 410', async () => {
    await expect.poll(connectionCount, { timeout: 10_000 }).toBe(0);
    const { socket, frames } = await open();
    await expect.poll(connectionCount, { timeout: 10_000 }).toBe(1);
    // A connection whose $disconnect never came (API Gateway delivers it best effort).
    const now = Date.now();
    await connections.put({
      connectionId: 'gone-connection-id',
      agentId: AGENT_ID,
      connectedAt: now,
      sourceIp: '192.0.2.1',
      ttl: Math.floor(now / 1000) + 3600,
    });
    const outcome = await stage.scheduler.runNow('heartbeat');
    expect(outcome.summary).toMatch(/runnerStatus to 1 of 2 connection\(s\), 1 gone, 0 failed/);
    expect(await connections.get('gone-connection-id')).toBeUndefined();
    await expect
      .poll(() => frames.find((frame) => frame.type === 'event'))
      .toMatchObject({ event: 'runnerStatus', payload: { agentId: AGENT_ID, connections: 2 } });
    socket.close();
    await expect.poll(connectionCount, { timeout: 10_000 }).toBe(0);
  });
});
