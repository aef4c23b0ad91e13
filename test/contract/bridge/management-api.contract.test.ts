// The local API Gateway's management API against the real @aws-sdk/client-apigatewaymanagementapi:
// what the SDK sends and how it reads our answers (410 → GoneException, 413 → PayloadTooLargeException).
// Stand-in limits: no SigV4 or IAM check, no 32 KB frame split.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { WebSocket } from 'ws';
import type { ApiGatewayWebSocketEvent } from '@hybrid-runner/aws';
import { clfTime, startLocalApiGateway, type LocalApiGateway } from '@hybrid-runner/local';
import { MAX_MESSAGE_BYTES } from '@hybrid-runner/protocol';

const events: ApiGatewayWebSocketEvent[] = [];
let gateway: LocalApiGateway;
let client: ApiGatewayManagementApiClient;

beforeAll(async () => {
  gateway = await startLocalApiGateway({
    stage: 'test',
    handlers: {
      connect: async (event) => {
        events.push(event);
        const status = event.headers?.['X-Refuse-With'];
        return { statusCode: status ? Number(status) : 200 };
      },
      disconnect: async (event) => void events.push(event),
      message: async (event) => {
        events.push(event);
        // Echo through the management API, as the real handler answers.
        await client.send(
          new PostToConnectionCommand({
            ConnectionId: event.requestContext.connectionId,
            Data: Buffer.from(`echo:${event.body}`),
          }),
        );
        return { statusCode: 200 };
      },
    },
  });
  client = new ApiGatewayManagementApiClient({
    endpoint: gateway.managementEndpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client?.destroy();
  await gateway?.close();
});

async function open(
  headers: Record<string, string> = {},
): Promise<{ socket: WebSocket; id: string; received: string[] }> {
  const before = new Set(gateway.connectionIds());
  const socket = new WebSocket(gateway.url, { headers });
  const received: string[] = [];
  socket.on('message', (data) => received.push(data.toString()));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const id = gateway.connectionIds().find((candidate) => !before.has(candidate));
  if (!id) throw new Error('connection not registered');
  return { socket, id, received };
}

describe('local API Gateway (stand-in) with the real management API client', () => {
  it('sends API Gateway-shaped events for connect, message and disconnect', async () => {
    const { socket, id } = await open({ 'X-Custom': 'a' });
    socket.send('hello');
    await expect.poll(() => events.some((e) => e.requestContext.eventType === 'MESSAGE')).toBe(true);
    socket.close(1000);
    await expect.poll(() => events.some((e) => e.requestContext.eventType === 'DISCONNECT')).toBe(true);
    const [connect, message, disconnect] = ['CONNECT', 'MESSAGE', 'DISCONNECT'].map((type) =>
      events.find((e) => e.requestContext.eventType === type && e.requestContext.connectionId === id),
    );
    expect(connect).toMatchObject({
      requestContext: { routeKey: '$connect', stage: 'test', identity: { sourceIp: '127.0.0.1' } },
      headers: { 'X-Custom': 'a' },
      multiValueHeaders: { 'X-Custom': ['a'] },
    });
    expect(message).toMatchObject({
      requestContext: { routeKey: '$default', messageId: expect.any(String) },
      body: 'hello',
      isBase64Encoded: false,
    });
    expect(disconnect).toMatchObject({
      requestContext: { routeKey: '$disconnect', disconnectStatusCode: 1000 },
    });
  });

  it('writes requestTime in CLF and hands $connect the query string, as API Gateway documents', async () => {
    const before = new Set(gateway.connectionIds());
    const socket = new WebSocket(`${gateway.url}/?agent=a&agent=b&debug=1`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const id = gateway.connectionIds().find((candidate) => !before.has(candidate));
    const connect = events.find(
      (e) => e.requestContext.connectionId === id && e.requestContext.eventType === 'CONNECT',
    );
    socket.close();
    // $context.requestTime: "CLF-formatted request time (dd/MMM/yyyy:HH:mm:ss +-hhmm)".
    expect(connect?.requestContext.requestTime).toMatch(
      /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/,
    );
    expect(clfTime(Date.UTC(2019, 2, 19, 9, 39, 18))).toBe('19/Mar/2019:09:39:18 +0000');
    expect(connect).toMatchObject({
      queryStringParameters: { agent: 'b', debug: '1' },
      multiValueQueryStringParameters: { agent: ['a', 'b'], debug: ['1'] },
    });
    // Absent, not empty, without a query string (the first test's connection).
    const plain = events.find(
      (e) => e.requestContext.eventType === 'CONNECT' && e.requestContext.connectionId !== id,
    );
    expect(plain).not.toHaveProperty('queryStringParameters');
  });

  it('closes a connection that sends a binary frame with 1003 and runs no route (API Gateway rejects them)', async () => {
    const { socket, id } = await open();
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(Buffer.from([0xff, 0xfe, 0x00]), { binary: true });
    expect(await closed).toBe(1003);
    expect(
      events.some((e) => e.requestContext.connectionId === id && e.requestContext.eventType === 'MESSAGE'),
    ).toBe(false);
  });

  it('PostToConnection delivers to the socket; GetConnection describes it', async () => {
    const { socket, id, received } = await open();
    socket.send('ping');
    await expect.poll(() => received).toEqual(['echo:ping']);
    const description = await client.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(description.Identity?.SourceIp).toBe('127.0.0.1');
    expect(description.ConnectedAt).toBeInstanceOf(Date);
    socket.close();
  });

  it('answers 410 GoneException for an unknown or closed connection', async () => {
    const { socket, id } = await open();
    socket.close();
    await expect.poll(() => gateway.connectionIds().includes(id)).toBe(false);
    await expect(
      client.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from('x') })),
    ).rejects.toBeInstanceOf(GoneException);
    await expect(client.send(new GetConnectionCommand({ ConnectionId: 'bm9uZQ==' }))).rejects.toBeInstanceOf(
      GoneException,
    );
  });

  it('rejects a post above 128 KiB with PayloadTooLargeException', async () => {
    const { socket, id } = await open();
    await expect(
      client.send(
        new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x61) }),
      ),
    ).rejects.toBeInstanceOf(PayloadTooLargeException);
    socket.close();
  });

  it('DeleteConnection closes the socket', async () => {
    const { socket, id } = await open();
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await client.send(new DeleteConnectionCommand({ ConnectionId: id }));
    expect(await closed).toBe(1000);
  });

  it('refuses the upgrade with the status $connect returned', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(gateway.url, { headers: { 'X-Refuse-With': '429' } });
      socket.on('error', () => {}); // terminate() after a refused handshake reports an error: expected
      socket.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('open', () => reject(new Error('accepted')));
    });
    expect(status).toBe(429);
  });

  it('answers "Endpoint request timed out" when a message handler outlives the integration timeout', async () => {
    const slow = await startLocalApiGateway({
      limits: { integrationTimeoutMs: 50 },
      handlers: {
        connect: async () => ({ statusCode: 200 }),
        disconnect: async () => undefined,
        message: () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200 }), 500)),
      },
    });
    try {
      const socket = new WebSocket(slow.url);
      const received = new Promise<string>((resolve) =>
        socket.once('message', (data) => resolve(data.toString())),
      );
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send('hello');
      expect(JSON.parse(await received)).toMatchObject({ message: 'Endpoint request timed out' });
      socket.close();
    } finally {
      await slow.close();
    }
  });
});
