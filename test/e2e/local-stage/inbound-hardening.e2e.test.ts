// Inbound hardening end to end through the local stage (the Lambda handlers behind the local API Gateway
// stand-in, dynalite, the Secrets Manager stand-in, the Kubernetes emulator): source CIDRs refused with 403
// and one clean log line, the old and new bot tokens both accepted until the old one retires, and the
// per-connection rate limit answered throttled (or cluster_unavailable to a v1 client). Raw `ws` clients, as
// an unseen Collate would connect. It cannot prove API Gateway's own source address handling beyond what the
// stand-in reproduces (sourceIp is the TCP peer; X-Forwarded-For gets the peer appended).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { startLocalStage, type LocalStage } from '@hybrid-runner/local';
import { logger } from '../../../functions/lib/logger.ts';
import { handshakeStatus } from '../../support/websocket-handshake.ts';
import { captureOutput } from '../../unit/observability/capture.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const AGENT_ID = 'hardening-runner';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.hardening-new-bot-token-never-echoed.c2lnbmF0dXJlLW5ldw';
const OLD_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.hardening-old-bot-token-never-echoed.c2lnbmF0dXJlLW9sZA';
const V1_ERROR_CODES = [
  'bad_request',
  'unknown_operation',
  'unsupported_version',
  'payload_too_large',
  'not_found',
  'conflict',
  'secret_reference_invalid',
  'cluster_unavailable',
  'internal',
];
const headersFor = (token: string) => ({ Authorization: `Bearer ${token}`, 'X-Agent-Id': AGENT_ID });

const saved = { ...process.env };
let directory: string;

async function start(env: NodeJS.ProcessEnv, previousToken?: string): Promise<LocalStage> {
  return startLocalStage({
    agentId: AGENT_ID,
    token: TOKEN,
    ...(previousToken ? { previousToken } : {}),
    port: 0,
    kubeconfigPath: join(directory, `kubeconfig-${Math.random().toString(36).slice(2)}`),
    cli: { node: process.execPath, script: join(ROOT, 'packages/cli/bin/hybrid-runner.js') },
    heartbeatSeconds: 60,
    controller: { podRunMs: 200 },
    env,
    onTask: () => {},
  });
}

/** Sends requests and collects the responses by id (events are skipped). */
async function openClient(url: string) {
  const socket = new WebSocket(url, { headers: headersFor(TOKEN) });
  const responses = new Map<string, Record<string, unknown>>();
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as Record<string, unknown>;
    if (message.type === 'response') responses.set(String(message.id), message);
  });
  await new Promise<void>((done, fail) => {
    socket.once('open', () => done());
    socket.once('error', fail);
  });
  return {
    send: (frame: Record<string, unknown>) => socket.send(JSON.stringify(frame)),
    async response(id: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
      const deadline = Date.now() + timeoutMs;
      while (!responses.has(id)) {
        if (Date.now() > deadline) throw new Error(`no response to ${id}`);
        await sleep(20);
      }
      return responses.get(id)!;
    },
    count: (id: string) => (responses.has(id) ? 1 : 0),
    close: () => socket.close(),
  };
}

beforeAll(() => {
  logger.setLogLevel('CRITICAL');
  const print = console.log.bind(console);
  vi.spyOn(console, 'log').mockImplementation((...values: unknown[]) => {
    if (!String(values[0]).startsWith('metric ')) print(...values);
  });
  directory = mkdtempSync(join(tmpdir(), 'hardening-'));
});

afterAll(() => {
  vi.restoreAllMocks();
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  rmSync(directory, { recursive: true, force: true });
});

describe('source CIDRs through the local stage (local API Gateway stand-in)', () => {
  let stage: LocalStage;
  beforeAll(async () => {
    stage = await start({ HYBRID_RUNNER__bridge__allowedSourceCidrs: '["192.0.2.0/24", "2001:db8::/32"]' });
  }, 60_000);
  afterAll(async () => stage?.close());

  it('refuses 127.0.0.1 with 403 and writes one warning without secrets, even with a forged X-Forwarded-For', async () => {
    const output = captureOutput();
    logger.setLogLevel('INFO');
    try {
      expect(await handshakeStatus(stage.url, headersFor(TOKEN))).toBe(403);
      expect(
        await handshakeStatus(stage.url, { ...headersFor(TOKEN), 'X-Forwarded-For': '192.0.2.10' }),
      ).toBe(403);
    } finally {
      logger.setLogLevel('CRITICAL');
      output.restore();
    }
    const written = [output.text()];
    const refusals = written
      .join('')
      .split('\n')
      .filter((line) => line.includes('source outside bridge.allowedSourceCidrs'));
    expect(refusals).toHaveLength(2);
    expect(JSON.parse(refusals[0]!)).toMatchObject({ level: 'WARN', status: 403, sourceIp: '127.0.0.1' });
    expect(written.join('')).not.toContain(TOKEN);
    expect(written.join('')).not.toMatch(/Bearer /);
  });
});

describe('token rotation and rate limit through the local stage (local API Gateway stand-in, dynalite)', () => {
  let stage: LocalStage;
  let retireAt: number;
  beforeAll(async () => {
    retireAt = Date.now() + 12_000; // room for a slow start; the stage checks it against the real clock
    stage = await start(
      {
        HYBRID_RUNNER__bridge__allowedSourceCidrs: '["127.0.0.0/8", "::1/128"]',
        HYBRID_RUNNER__bridge__rateLimit__requests: '3',
        HYBRID_RUNNER__bridge__rateLimit__intervalSeconds: '3600',
        HYBRID_RUNNER__bridge__previousAuthToken__sstSecret: 'CollateAuthTokenOld',
        HYBRID_RUNNER__bridge__previousAuthToken__retireAt: new Date(retireAt).toISOString(),
      },
      OLD_TOKEN,
    );
  }, 60_000);
  afterAll(async () => stage?.close());

  it('accepts the old and the new token during the grace period, and refuses the old one after retireAt', async () => {
    expect(await handshakeStatus(stage.url, headersFor(OLD_TOKEN))).toBe(101);
    expect(await handshakeStatus(stage.url, headersFor(TOKEN))).toBe(101);
    expect(await handshakeStatus(stage.url, headersFor('eyJhbGciOiJSUzI1NiJ9.someone-else.c2ln'))).toBe(401);
    await sleep(Math.max(0, retireAt - Date.now()) + 50);
    expect(await handshakeStatus(stage.url, headersFor(OLD_TOKEN))).toBe(401);
    expect(await handshakeStatus(stage.url, headersFor(TOKEN))).toBe(101);
  }, 60_000);

  it('throttles a connection beyond its limit: unrun, a v1 code for v1 clients, throttled when accepted', async () => {
    const client = await openClient(stage.url);
    try {
      const ping = (id: string, extra: Record<string, unknown> = {}) => ({
        v: 1,
        id,
        type: 'ping',
        payload: {},
        ...extra,
      });
      for (const id of ['p-1', 'p-2', 'p-3']) {
        client.send(ping(id));
        expect(await client.response(id)).toMatchObject({ id, ok: true });
      }
      client.send(ping('p-4'));
      const v1 = await client.response('p-4');
      expect(v1).toMatchObject({ v: 1, id: 'p-4', type: 'response', op: 'ping', ok: false });
      const v1Error = v1.error as Record<string, unknown>;
      expect(V1_ERROR_CODES).toContain(v1Error.code);
      expect(v1Error.code).toBe('cluster_unavailable');
      expect(v1Error.retryAfterMs).toBeGreaterThan(0);
      expect(v1Error.message).toMatch(/not run/);

      client.send(ping('p-5', { acceptErrorCodes: ['throttled'] }));
      expect(await client.response('p-5')).toMatchObject({ ok: false, error: { code: 'throttled' } });

      // Exactly one answer per throttled frame, and a fresh connection has its own budget.
      await sleep(300);
      expect(client.count('p-4') + client.count('p-5')).toBe(2);
      const other = await openClient(stage.url);
      try {
        other.send(ping('p-4'));
        expect(await other.response('p-4')).toMatchObject({ id: 'p-4', ok: true });
      } finally {
        other.close();
      }
    } finally {
      client.close();
    }
  }, 60_000);
});
