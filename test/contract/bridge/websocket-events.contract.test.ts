// What each emulation hands the route Lambdas, side by side: our local API Gateway stand-in and
// serverless-offline (npm, written by others), driven by the same client (a $connect with headers and a
// query string, one text message, a close). For every field our handlers read (connect: headers, connection
// id, identity.sourceIp, requestTimeEpoch; message: body, isBase64Encoded, connection id, routeKey; disconnect:
// connection id, disconnectStatusCode/Reason) the two must agree; where they differ, AWS's documentation
// decided, and the verdict is written next to the assertion. Neither is API Gateway: this cannot prove it.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ApiGatewayWebSocketEvent } from '@hybrid-runner/aws';
import { startLocalApiGateway, type WebSocketApi } from '@hybrid-runner/local';
import { serverlessOfflineWebSocketApi } from '../../support/serverless-offline.ts';

const RECORDER = 'test/contract/bridge/fixtures/recording-handler.handler';
const HEADERS = {
  Authorization: 'Bearer probe-token',
  'X-Agent-Id': 'probe-agent',
  'User-Agent': 'probe/1.0',
};
const QUERY = '?probe=1&probe=2&mode=check';
const MESSAGE = JSON.stringify({ v: 1, id: 'probe-1', type: 'ping', payload: {} });
const CLF = /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}$/;

interface Recorded {
  connect: ApiGatewayWebSocketEvent;
  message: ApiGatewayWebSocketEvent;
  disconnect: ApiGatewayWebSocketEvent;
  started: number;
}

function byType(events: ApiGatewayWebSocketEvent[], started: number): Recorded {
  const find = (type: string) => {
    const event = events.find((candidate) => candidate.requestContext.eventType === type);
    if (!event) throw new Error(`no ${type} event recorded`);
    return event;
  };
  return { connect: find('CONNECT'), message: find('MESSAGE'), disconnect: find('DISCONNECT'), started };
}

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** Connects with HEADERS and QUERY, sends MESSAGE, closes with 1000 and waits until `events` holds all three. */
async function drive(api: WebSocketApi, events: () => ApiGatewayWebSocketEvent[]): Promise<Recorded> {
  const started = Date.now();
  const socket = new WebSocket(`${api.url}/${QUERY}`, { headers: HEADERS });
  await new Promise<void>((done, fail) => {
    socket.once('open', () => done());
    socket.once('error', fail);
  });
  socket.send(MESSAGE);
  await until('MESSAGE event', () => events().some((e) => e.requestContext.eventType === 'MESSAGE'));
  socket.close(1000, 'probe done');
  await until('DISCONNECT event', () => events().some((e) => e.requestContext.eventType === 'DISCONNECT'));
  return byType(events(), started);
}

const lowerKeys = <T>(map: Record<string, T> | undefined) =>
  Object.fromEntries(Object.entries(map ?? {}).map(([key, value]) => [key.toLowerCase(), value]));

let directory: string;
let ours: Recorded;
let offline: Recorded;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'websocket-events-'));
  const recorded: ApiGatewayWebSocketEvent[] = [];
  const record = async (event: ApiGatewayWebSocketEvent) => {
    recorded.push(event);
    return { statusCode: 200 };
  };
  const local = await startLocalApiGateway({
    handlers: { connect: record, disconnect: record, message: record },
  });
  try {
    ours = await drive(local, () => recorded);
  } finally {
    await local.close();
  }
  const file = join(directory, 'events.jsonl');
  const unused = async () => ({ statusCode: 500 });
  const other = await serverlessOfflineWebSocketApi({
    environment: { EVENT_RECORD_FILE: file },
    handlers: { connect: RECORDER, disconnect: RECORDER, message: RECORDER },
  })({
    handlers: { connect: unused, disconnect: unused, message: unused },
    port: 0,
    onHandlerError: () => {},
  });
  try {
    const read = () =>
      existsSync(file)
        ? readFileSync(file, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as ApiGatewayWebSocketEvent)
        : [];
    offline = await drive(other, read);
  } finally {
    await other.close();
  }
}, 60_000);

afterAll(() => {
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe('WebSocket events: the local API Gateway stand-in against serverless-offline (two emulations, AWS docs decide)', () => {
  it('$connect: the same route, headers, query string, source ip and times (what the connect handler reads)', () => {
    for (const { connect, started } of [ours, offline]) {
      expect(connect.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT' });
      expect(connect.requestContext.connectionId).toEqual(expect.any(String));
      expect(lowerKeys(connect.headers)).toMatchObject(lowerKeys(HEADERS));
      expect(lowerKeys(connect.multiValueHeaders)).toMatchObject(
        lowerKeys(Object.fromEntries(Object.entries(HEADERS).map(([name, value]) => [name, [value]]))),
      );
      // Both fixed on our side (they were missing): AWS hands $connect the query string, last value wins.
      expect(connect.queryStringParameters).toEqual({ probe: '2', mode: 'check' });
      expect(connect.multiValueQueryStringParameters).toEqual({ probe: ['1', '2'], mode: ['check'] });
      expect(connect.requestContext.identity.sourceIp).toBe('127.0.0.1');
      expect(connect.requestContext.requestTimeEpoch).toBeGreaterThanOrEqual(started);
      expect(connect.requestContext.connectedAt).toBeGreaterThanOrEqual(started);
      // Fixed on our side (toUTCString): AWS documents $context.requestTime as CLF.
      expect(connect.requestContext.requestTime).toMatch(CLF);
      expect(connect.isBase64Encoded).toBe(false);
    }
  });

  it('$default: the same text body, not base64, on the connection that opened (what the message handler reads)', () => {
    for (const { connect, message } of [ours, offline]) {
      expect(message).toMatchObject({ body: MESSAGE, isBase64Encoded: false });
      expect(message.requestContext).toMatchObject({
        routeKey: '$default',
        eventType: 'MESSAGE',
        connectionId: connect.requestContext.connectionId,
        messageDirection: 'IN',
      });
      expect(message.requestContext.messageId).toEqual(expect.any(String));
      expect(message.requestContext.requestId).toEqual(expect.any(String));
      expect(message.requestContext.connectedAt).toBe(connect.requestContext.connectedAt);
      expect(message.requestContext.domainName).toEqual(expect.any(String));
      expect(message.requestContext.stage).toEqual(expect.any(String));
    }
  });

  it('$disconnect: the same connection id (what the disconnect handler removes)', () => {
    for (const { connect, disconnect } of [ours, offline]) {
      expect(disconnect.requestContext).toMatchObject({
        routeKey: '$disconnect',
        eventType: 'DISCONNECT',
        connectionId: connect.requestContext.connectionId,
      });
    }
  });

  it('differs where our handlers do not depend on it, each difference judged', () => {
    // Close code and reason: serverless-offline leaves them out. The disconnect handler only logs them and
    // treats both as optional, so either is safe; ours keeps them as API Gateway sends them to $disconnect.
    expect(ours.disconnect.requestContext).toMatchObject({
      disconnectStatusCode: 1000,
      disconnectReason: 'probe done',
    });
    expect(offline.disconnect.requestContext.disconnectStatusCode).toBeUndefined();
    // identity.userAgent: AWS documents $context.identity.userAgent as the caller's User-Agent; serverless-offline
    // sends null. Ours is right; no handler reads it.
    expect(ours.connect.requestContext.identity.userAgent).toBe('probe/1.0');
    expect(offline.connect.requestContext.identity.userAgent).toBeNull();
    // domainName: serverless-offline says "localhost" whatever its port; ours says host:port. In AWS the
    // handlers send through HYBRID_RUNNER_MANAGEMENT_ENDPOINT, never through the event's domain (a custom
    // domain is no management endpoint), so neither value is used.
    expect(offline.message.requestContext.domainName).toBe('localhost');
    expect(ours.message.requestContext.domainName).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});
