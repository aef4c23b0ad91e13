// BridgeClient against a small local `ws` server that stands in for the runner: it proves the client's
// wire behaviour (headers, correlation, events, reconnects), not the runner's.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import {
  BridgeAuthError,
  BridgeClient,
  BridgeConnectionError,
  BridgeRequestError,
  BridgeResponseError,
  BridgeTimeoutError,
  MAX_MESSAGE_BYTES,
  MessageTooLargeError,
  errorResponse,
  eventMessage,
  okResponse,
  parseFrame,
} from '@hybrid-runner/protocol';
import type { BridgeClientOptions, BridgeRequest, ClientLifecycleEvent } from '@hybrid-runner/protocol';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.test-bot-jwt.signature';
const AGENT = 'RemoteRunner';
const pipeline = { name: 'ingest', fullyQualifiedName: 'mysql.ingest', pipelineType: 'metadata' as const };

type Reply = (socket: WebSocket, request: BridgeRequest) => void;

interface Handshake {
  authorization: string | undefined;
  agentId: string | undefined;
  url: string | undefined;
}

/** A stand-in runner: answers `ping` by default, records handshakes, and can refuse or drop connections. */
class FakeRunner {
  /** Every frame received, as text. */
  readonly frames: string[] = [];
  readonly server: WebSocketServer;
  readonly handshakes: Handshake[] = [];
  readonly sockets: WebSocket[] = [];
  /** HTTP statuses to refuse the next handshakes with, in order. */
  refusals: number[] = [];
  reply: Reply = (socket, request) => {
    if (request.type === 'ping') {
      socket.send(
        JSON.stringify(okResponse(request.id, 'ping', { pong: true, agentId: AGENT, version: '1.0.0' })),
      );
    }
  };

  constructor() {
    this.server = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      verifyClient: (info, done) => {
        this.handshakes.push({
          authorization: info.req.headers.authorization,
          agentId: info.req.headers['x-agent-id'] as string | undefined,
          url: info.req.url,
        });
        const status = this.refusals.shift();
        if (status) done(false, status);
        else done(true);
      },
    });
    this.server.on('connection', (socket) => {
      this.sockets.push(socket);
      socket.on('message', (data) => {
        this.frames.push(String(data));
        const parsed = parseFrame(data);
        if (parsed.ok) this.reply(socket, parsed.request);
        else socket.send(JSON.stringify(errorResponse(parsed.id, parsed.op, parsed.error)));
      });
    });
  }

  async listening(): Promise<string> {
    if (!this.server.address()) await once(this.server, 'listening');
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/bridge`;
  }

  broadcast(message: unknown): void {
    for (const socket of this.sockets)
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: Partial<BridgeClientOptions> = {}, runner = new FakeRunner()) {
  cleanups.push(() => runner.close());
  const url = await runner.listening();
  const client = await BridgeClient.connect(url, { token: TOKEN, agentId: AGENT, ...options });
  cleanups.push(() => client.close());
  const lifecycle: ClientLifecycleEvent[] = [];
  client.onLifecycle((event) => lifecycle.push(event));
  return { runner, client, url, lifecycle };
}

/** The runner's answer to a request over its rate limit: not run, send it again after `retryAfterMs`. */
function throttledResponse(request: BridgeRequest, retryAfterMs: number) {
  return errorResponse(request.id, request.type, {
    code: 'throttled',
    message: `Too many requests on this connection: send it again with the same id in ${retryAfterMs / 1000} s.`,
    retryAfterMs,
  });
}

function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('condition not met in time'));
      else setTimeout(check, 5);
    };
    check();
  });
}

describe('BridgeClient: requests', () => {
  it('connects with the bearer token and agent id headers, and resolves a typed response', async () => {
    const { runner, client } = await setup();
    expect(runner.handshakes).toEqual([{ authorization: `Bearer ${TOKEN}`, agentId: AGENT, url: '/bridge' }]);
    const pong = await client.request('ping', {});
    expect(pong).toEqual({ pong: true, agentId: AGENT, version: '1.0.0' });
    expect(client.connected).toBe(true);
  });

  it('correlates concurrent responses that arrive out of order', async () => {
    const runner = new FakeRunner();
    const held: Array<{ socket: WebSocket; request: BridgeRequest }> = [];
    runner.reply = (socket, request) => held.push({ socket, request });
    const { client } = await setup({}, runner);
    const results = [1, 2, 3].map((n) => client.request('runPipeline', { pipeline, runId: `run-${n}` }));
    await waitFor(() => held.length === 3);
    for (const { socket, request } of held.reverse()) {
      if (request.type !== 'runPipeline') throw new Error('unexpected request');
      const runId = request.payload.runId ?? 'none';
      socket.send(
        JSON.stringify(
          okResponse(request.id, 'runPipeline', { code: 200, runId, workflowName: `wf-${runId}` }),
        ),
      );
    }
    expect(await Promise.all(results)).toEqual(
      [1, 2, 3].map((n) => ({ code: 200, runId: `run-${n}`, workflowName: `wf-run-${n}` })),
    );
    expect(new Set(held.map((h) => h.request.id)).size).toBe(3);
  });

  it('rejects with a BridgeRequestError carrying the code of an error response', async () => {
    const { client } = await setup();
    const failure = client.request('runPipeline', { pipeline: { ...pipeline, fullyQualifiedName: '' } });
    await expect(failure).rejects.toBeInstanceOf(BridgeRequestError);
    await expect(failure).rejects.toMatchObject({ code: 'bad_request', op: 'runPipeline' });
    await expect(failure).rejects.toThrow(/payload\.pipeline\.fullyQualifiedName must not be empty/);
  });

  it('asks for the extension error codes and surfaces throttled with its retryAfterMs', async () => {
    const runner = new FakeRunner();
    runner.reply = (socket, request) => socket.send(JSON.stringify(throttledResponse(request, 500)));
    const { client } = await setup({ retryThrottled: false }, runner);
    const failure = client.request('ping', {}, { id: 'throttled-1' });
    await expect(failure).rejects.toBeInstanceOf(BridgeRequestError);
    await expect(failure).rejects.toMatchObject({
      code: 'throttled',
      retryAfterMs: 500,
      requestId: 'throttled-1',
    });
    expect(JSON.parse(runner.frames.at(-1)!)).toMatchObject({
      id: 'throttled-1',
      acceptErrorCodes: ['throttled'],
    });
  });

  it('sends a throttled request again with the same id after retryAfterMs, and resolves its answer', async () => {
    const runner = new FakeRunner();
    const sentAt: number[] = [];
    runner.reply = (socket, request) => {
      sentAt.push(Date.now());
      const response =
        sentAt.length < 3
          ? throttledResponse(request, 100)
          : okResponse(request.id, 'ping', { pong: true, agentId: AGENT, version: '1.0.0' });
      socket.send(JSON.stringify(response));
    };
    const { client, lifecycle } = await setup({}, runner);
    await expect(client.request('ping', {}, { id: 'throttled-2', timeoutMs: 5000 })).resolves.toMatchObject({
      pong: true,
    });
    expect(runner.frames.map((frame) => (JSON.parse(frame) as { id: string }).id)).toEqual([
      'throttled-2',
      'throttled-2',
      'throttled-2',
    ]);
    expect(sentAt[1]! - sentAt[0]!).toBeGreaterThanOrEqual(90);
    expect(lifecycle.filter((event) => event.type === 'throttled')).toEqual([
      { type: 'throttled', requestId: 'throttled-2', retryAfterMs: 100 },
      { type: 'throttled', requestId: 'throttled-2', retryAfterMs: 100 },
    ]);
  });

  it('rejects with throttled when the wait would outlast the request timeout', async () => {
    const runner = new FakeRunner();
    runner.reply = (socket, request) => socket.send(JSON.stringify(throttledResponse(request, 10_000)));
    const { client } = await setup({}, runner);
    const started = Date.now();
    await expect(client.request('ping', {}, { id: 'throttled-3', timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'throttled',
      retryAfterMs: 10_000,
    });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(runner.frames).toHaveLength(1);
  });

  it('sends a throttled request on the new connection when the old one dropped during the wait', async () => {
    const runner = new FakeRunner();
    let answered = 0;
    runner.reply = (socket, request) => {
      answered++;
      if (answered === 1) {
        socket.send(JSON.stringify(throttledResponse(request, 300)));
        // The connection drops while the client waits; the wait must not be lost with it.
        setTimeout(() => socket.terminate(), 20);
        return;
      }
      socket.send(
        JSON.stringify(okResponse(request.id, 'ping', { pong: true, agentId: AGENT, version: '1.0.0' })),
      );
    };
    const { client } = await setup({ reconnect: { initialDelayMs: 10, maxDelayMs: 20 } }, runner);
    await expect(client.request('ping', {}, { id: 'throttled-4', timeoutMs: 5000 })).resolves.toMatchObject({
      pong: true,
    });
    expect(runner.frames.filter((frame) => frame.includes('throttled-4'))).toHaveLength(2);
    expect(runner.handshakes.length).toBe(2);
  });

  it('times out, cleans up, and reports a late response as unexpected', async () => {
    const runner = new FakeRunner();
    let late: (() => void) | undefined;
    runner.reply = (socket, request) => {
      late = () => socket.send(JSON.stringify(okResponse(request.id, 'deletePipeline', { code: 200 })));
    };
    const { client, lifecycle } = await setup({}, runner);
    const started = Date.now();
    const request = client.request('deletePipeline', { pipeline }, { timeoutMs: 80, id: 'slow-1' });
    await expect(request).rejects.toBeInstanceOf(BridgeTimeoutError);
    await expect(request).rejects.toThrow(/retry with the same id/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    late?.();
    await waitFor(() => lifecycle.some((e) => e.type === 'unexpectedMessage'));
    // The id is free again: the same request can be retried with it.
    runner.reply = (socket, r) =>
      socket.send(JSON.stringify(okResponse(r.id, 'deletePipeline', { code: 200 })));
    await expect(client.request('deletePipeline', { pipeline }, { id: 'slow-1' })).resolves.toEqual({
      code: 200,
    });
  });

  /** A runner whose runPipeline answer lacks the runId the protocol requires. */
  const runnerAnsweringWithoutRunId = (): FakeRunner => {
    const runner = new FakeRunner();
    runner.reply = (socket, request) =>
      socket.send(
        JSON.stringify({
          v: 1,
          id: request.id,
          type: 'response',
          op: request.type,
          ok: true,
          payload: { code: 200 },
        }),
      );
    return runner;
  };

  it('rejects a response that does not match the protocol, naming the field', async () => {
    const runner = runnerAnsweringWithoutRunId();
    const { client } = await setup({}, runner);
    const result = client.request('runPipeline', { pipeline });
    await expect(result).rejects.toBeInstanceOf(BridgeResponseError);
    await expect(result).rejects.toThrow(/payload\.runId/);
  });

  it('passes responses through unchecked when validateResponses is false', async () => {
    const runner = runnerAnsweringWithoutRunId();
    const { client } = await setup({ validateResponses: false }, runner);
    await expect(client.request('runPipeline', { pipeline })).resolves.toEqual({ code: 200 });
  });

  it('refuses to send a request above the message limit', async () => {
    const { client, runner } = await setup();
    const huge = client.request('deployPipeline', {
      pipeline,
      workflowConfig: 'x'.repeat(MAX_MESSAGE_BYTES),
    });
    await expect(huge).rejects.toBeInstanceOf(MessageTooLargeError);
    await expect(client.request('ping', {}, { id: 'bad id' })).rejects.toThrow(/1–128 characters/);
    expect(runner.sockets).toHaveLength(1);
  });

  it('rejects bad URLs and missing credentials before connecting', async () => {
    await expect(
      BridgeClient.connect('http://127.0.0.1:1', { token: TOKEN, agentId: AGENT }),
    ).rejects.toThrow(/ws:\/\/ or wss:\/\//);
    await expect(BridgeClient.connect('not a url', { token: TOKEN, agentId: AGENT })).rejects.toThrow(
      /not a URL/,
    );
    await expect(BridgeClient.connect('ws://127.0.0.1:1', { token: '', agentId: AGENT })).rejects.toThrow(
      /token/,
    );
  });

  it('never sends the token over plain ws:// to another machine, unless told to', async () => {
    const options = { token: TOKEN, agentId: AGENT, reconnect: { maxAttempts: 0 } };
    for (const url of ['ws://runner.example.com/prod', 'ws://10.0.0.7:8585', 'ws://[fd00::1]:8585']) {
      await expect(BridgeClient.connect(url, options)).rejects.toThrow(/unencrypted: use wss:\/\//);
    }
    // Loopback stays usable (the local stage); 0.0.0.0 is not loopback by name, so it needs the opt-in.
    for (const url of ['ws://localhost:1', 'ws://127.0.0.2:1', 'ws://[::1]:1']) {
      await expect(BridgeClient.connect(url, options)).rejects.toBeInstanceOf(BridgeConnectionError);
    }
    await expect(BridgeClient.connect('ws://0.0.0.0:1', options)).rejects.toBeInstanceOf(TypeError);
    await expect(
      BridgeClient.connect('ws://0.0.0.0:1', { ...options, allowPlainTextToken: true }),
    ).rejects.toBeInstanceOf(BridgeConnectionError);
  });

  it('reports a refused TCP connection as a BridgeConnectionError', async () => {
    const runner = new FakeRunner();
    const url = await runner.listening();
    await runner.close();
    await expect(BridgeClient.connect(url, { token: TOKEN, agentId: AGENT })).rejects.toBeInstanceOf(
      BridgeConnectionError,
    );
  });
});

describe('BridgeClient: events', () => {
  it('delivers events to subscribers until they unsubscribe, and drops malformed ones', async () => {
    const { runner, client, lifecycle } = await setup();
    const seen: unknown[] = [];
    const unsubscribe = client.on('runnerStatus', (payload) => seen.push(payload));
    const statuses: string[] = [];
    client.on('pipelineStatus', (payload) => statuses.push(payload.pipelineState));
    const status = { agentId: AGENT, status: 'active' as const, version: '1.0.0', connections: 1 };
    runner.broadcast(eventMessage('runnerStatus', status));
    runner.broadcast(
      eventMessage('pipelineStatus', {
        pipelineFQN: 'mysql.ingest',
        runId: 'r1',
        pipelineState: 'running',
        workflowName: 'wf-r1',
        timestamp: 1,
      }),
    );
    await waitFor(() => seen.length === 1 && statuses.length === 1);
    expect(seen).toEqual([status]);
    expect(statuses).toEqual(['running']);

    runner.broadcast({ v: 1, type: 'event', event: 'runnerStatus', payload: { agentId: AGENT } });
    runner.broadcast({ v: 1, type: 'event', event: 'somethingNew', payload: {} });
    await waitFor(() => lifecycle.filter((e) => e.type === 'unexpectedMessage').length === 2);
    unsubscribe();
    runner.broadcast(eventMessage('runnerStatus', status));
    await client.request('ping', {}); // the event went out before this response
    expect(seen).toHaveLength(1);
  });

  it('keeps delivering when a handler throws', async () => {
    const { runner, client, lifecycle } = await setup();
    const seen: number[] = [];
    client.on('runnerStatus', () => {
      throw new Error('handler bug');
    });
    client.on('runnerStatus', (payload) => seen.push(payload.connections));
    runner.broadcast(
      eventMessage('runnerStatus', { agentId: AGENT, status: 'active', version: '1', connections: 4 }),
    );
    await waitFor(() => seen.length === 1);
    expect(lifecycle).toContainEqual(
      expect.objectContaining({ type: 'handlerError', event: 'runnerStatus' }),
    );
  });
});

describe('BridgeClient: handshake refusals', () => {
  it.each([
    [401, /refused the token \(HTTP 401\)/],
    [403, /refused agent id "RemoteRunner" \(HTTP 403\)/],
  ])('surfaces HTTP %i as a BridgeAuthError without retrying', async (status, message) => {
    const runner = new FakeRunner();
    cleanups.push(() => runner.close());
    runner.refusals = [status];
    const url = await runner.listening();
    const attempt = BridgeClient.connect(url, {
      token: TOKEN,
      agentId: AGENT,
      reconnect: { initialDelayMs: 5 },
    });
    await expect(attempt).rejects.toBeInstanceOf(BridgeAuthError);
    await expect(attempt).rejects.toMatchObject({ status });
    await expect(attempt).rejects.toThrow(message);
    await expect(attempt).rejects.not.toThrow(TOKEN);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runner.handshakes).toHaveLength(1);
  });
});

describe('BridgeClient: reconnects', () => {
  it('rejects in-flight requests when the connection drops, then reconnects with exponential backoff', async () => {
    const runner = new FakeRunner();
    let hold = true;
    const defaultReply = runner.reply;
    runner.reply = (socket, request) => {
      if (!hold) defaultReply(socket, request);
    };
    const { client, lifecycle } = await setup(
      { reconnect: { initialDelayMs: 20, maxDelayMs: 1000 }, random: () => 0.5 },
      runner,
    );
    const inFlight = client.request('runPipeline', { pipeline }, { id: 'run-once' });
    await waitFor(() => runner.sockets.length === 1);
    runner.refusals = [503, 503];
    runner.sockets[0]?.terminate();
    await expect(inFlight).rejects.toBeInstanceOf(BridgeConnectionError);
    await expect(inFlight).rejects.toThrow(/Retry with the same id/);
    await expect(inFlight).rejects.toMatchObject({ requestId: 'run-once' });

    await waitFor(() => lifecycle.filter((e) => e.type === 'connected').length === 1);
    // Two refused attempts, then success: delays double (equal jitter at 0.5 gives 3/4 of each step).
    const delays = lifecycle.flatMap((e) => (e.type === 'reconnecting' ? [e.delayMs] : []));
    expect(delays).toEqual([15, 30, 60]);
    expect(runner.handshakes).toHaveLength(4);
    hold = false;
    await expect(client.request('ping', {})).resolves.toMatchObject({ pong: true });
  });

  it('sends requests made while disconnected once the connection is back', async () => {
    const { runner, client, lifecycle } = await setup({ reconnect: { initialDelayMs: 40 }, random: () => 0 });
    runner.sockets[0]?.terminate();
    await waitFor(() => lifecycle.some((e) => e.type === 'disconnected'));
    expect(client.connected).toBe(false);
    await expect(client.request('ping', {}, { timeoutMs: 2000 })).resolves.toMatchObject({ pong: true });
  });

  it('stops for good when a reconnect is refused with 401', async () => {
    const { runner, client, lifecycle } = await setup({ reconnect: { initialDelayMs: 5 } });
    runner.refusals = [401];
    runner.sockets[0]?.terminate();
    await waitFor(() => lifecycle.some((e) => e.type === 'stopped'));
    const stopped = lifecycle.find((e) => e.type === 'stopped');
    expect(stopped?.type === 'stopped' && stopped.error).toBeInstanceOf(BridgeAuthError);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(runner.handshakes).toHaveLength(2);
    await expect(client.request('ping', {})).rejects.toBeInstanceOf(BridgeAuthError);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const { runner, lifecycle } = await setup({ reconnect: { initialDelayMs: 2, maxAttempts: 2 } });
    runner.refusals = [502, 502, 502];
    runner.sockets[0]?.terminate();
    await waitFor(() => lifecycle.some((e) => e.type === 'stopped'));
    const stopped = lifecycle.find((e) => e.type === 'stopped');
    expect(stopped?.type === 'stopped' && stopped.error.message).toMatch(/after 2 attempts: .*HTTP 502/);
  });

  it('renews the connection before its lifetime ends without losing in-flight requests', async () => {
    const runner = new FakeRunner();
    const held: Array<{ socket: WebSocket; request: BridgeRequest }> = [];
    const defaultReply = runner.reply;
    runner.reply = (socket, request) => {
      if (request.type === 'runPipeline') held.push({ socket, request });
      else defaultReply(socket, request);
    };
    const { client, lifecycle } = await setup({ connectionLifetimeMs: 150 }, runner);
    const inFlight = client.request('runPipeline', { pipeline }, { id: 'long-run' });
    await waitFor(() => held.length === 1);
    const oldSocket = runner.sockets[0];

    // The new socket opens while the old one is still open (it has a request in flight).
    await waitFor(() => lifecycle.some((e) => e.type === 'connected' && e.renewal));
    expect(runner.sockets).toHaveLength(2);
    expect(oldSocket?.readyState).toBe(oldSocket?.OPEN);
    const newSocket = runner.sockets[1];
    await expect(client.request('ping', {})).resolves.toMatchObject({ pong: true });

    // While both are open the runner broadcasts to both; the client delivers each event once.
    const heartbeats: number[] = [];
    client.on('runnerStatus', (payload) => heartbeats.push(payload.connections));
    runner.broadcast(
      eventMessage('runnerStatus', { agentId: AGENT, status: 'active', version: '1', connections: 2 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heartbeats).toEqual([2]);

    // The old socket delivers its response, then the client closes it normally.
    const closed = once(oldSocket as WebSocket, 'close');
    const { socket, request } = held[0] ?? { socket: undefined, request: undefined };
    socket?.send(
      JSON.stringify(
        okResponse(request?.id ?? '', 'runPipeline', { code: 200, runId: 'r', workflowName: 'w' }),
      ),
    );
    await expect(inFlight).resolves.toEqual({ code: 200, runId: 'r', workflowName: 'w' });
    const [code] = (await closed) as [number];
    expect(code).toBe(1000);
    expect(newSocket?.readyState).toBe(newSocket?.OPEN);
    expect(lifecycle.some((e) => e.type === 'disconnected' || e.type === 'reconnecting')).toBe(false);
  });

  it('close() rejects pending requests and closes the socket', async () => {
    const runner = new FakeRunner();
    runner.reply = () => undefined;
    const { client } = await setup({}, runner);
    const pending = client.request('ping', {});
    await waitFor(() => runner.sockets.length === 1);
    const closed = once(runner.sockets[0] as WebSocket, 'close');
    const rejected = expect(pending).rejects.toThrow(/client was closed/);
    await client.close();
    await rejected;
    await closed;
    await expect(client.request('ping', {})).rejects.toThrow(/client is closed/);
  });
});
