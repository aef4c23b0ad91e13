// A local stand-in for an API Gateway WebSocket API: the SAME Lambda handlers, invoked with the event
// objects API Gateway sends, behind a real WebSocket endpoint, plus the management API (@connections)
// over HTTP so the real SDK client can post to connections. What it does not prove: IAM and SigV4
// checks on the management API, API Gateway's 32 KB frame split, 500 connections/s account limits.
// serverless-offline (test/contract/bridge/serverless-offline.contract.test.ts) is a second emulation the
// handlers run under; where the two build events differently, AWS's documentation decided this one.
import { randomBytes, randomUUID } from 'node:crypto';
import { STATUS_CODES, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Context } from 'aws-lambda';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { ApiGatewayWebSocketEvent, ApiGatewayWebSocketResult } from '@hybrid-runner/aws';
import { MAX_MESSAGE_BYTES } from '@hybrid-runner/protocol';
import { lambdaContext } from '../lambda-context.ts';

export type WebSocketRouteHandler = (
  event: ApiGatewayWebSocketEvent,
  context: Context,
) => Promise<ApiGatewayWebSocketResult | void | undefined>;

export interface LocalApiGatewayHandlers {
  connect: WebSocketRouteHandler;
  disconnect: WebSocketRouteHandler;
  message: WebSocketRouteHandler;
}

export interface LocalApiGatewayLimits {
  /** Largest message either way (API Gateway: 128 KiB); a bigger inbound message closes with 1009. */
  maxMessageBytes: number;
  /** Closes a connection with no traffic either way for this long (API Gateway: 10 minutes). */
  idleTimeoutMs: number;
  /** Closes every connection this long after it opened (API Gateway: 2 hours). */
  maxConnectionMs: number;
  /** Time a Lambda invocation gets, as seen through context.getRemainingTimeInMillis (29 s). */
  integrationTimeoutMs: number;
}

export const API_GATEWAY_LIMITS: LocalApiGatewayLimits = {
  maxMessageBytes: MAX_MESSAGE_BYTES,
  idleTimeoutMs: 10 * 60_000,
  maxConnectionMs: 2 * 3600_000,
  integrationTimeoutMs: 29_000,
};

export interface LocalApiGatewayOptions {
  handlers: LocalApiGatewayHandlers;
  port?: number;
  host?: string;
  stage?: string;
  apiId?: string;
  limits?: Partial<LocalApiGatewayLimits>;
  /** Where handler failures are reported (API Gateway logs them; the client only sees a generic error). */
  onHandlerError?: (route: string, error: unknown) => void;
}

export interface LocalApiGateway {
  /** `ws://host:port` (the WebSocket endpoint; any path is accepted, as on API Gateway's stage URL). */
  url: string;
  /** `http://host:port/{stage}`: the management API endpoint for ApiGatewayManagementApiClient. */
  managementEndpoint: string;
  /** Ids of the open connections. */
  connectionIds(): string[];
  close(): Promise<void>;
}

interface OpenConnection {
  id: string;
  socket: WebSocket;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent?: string;
  idleTimer?: NodeJS.Timeout;
  lifetimeTimer: NodeJS.Timeout;
  closed: Promise<void>;
}

/** The route's handler did not answer within the integration timeout. */
export class IntegrationTimeoutError extends Error {
  constructor(route: string) {
    super(`The ${route} integration did not answer within the integration timeout.`);
    this.name = 'IntegrationTimeoutError';
  }
}

/** API Gateway connection ids: 12 random bytes, base64 (for example `L0SM9cOFvHcCIhw=`). */
function newConnectionId(): string {
  return randomBytes(12).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B').slice(0, 15) + '=';
}

function headerMaps(rawHeaders: string[]): {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
} {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    (multiValueHeaders[name] ??= []).push(value);
    headers[name] = multiValueHeaders[name].join(',');
  }
  return { headers, multiValueHeaders };
}

/**
 * The forwarding headers API Gateway adds to $connect: the TCP peer appended to any X-Forwarded-For the client
 * sent (sourceIp is that peer, never the client's own entries), and the port and protocol it was reached on.
 */
export function withForwardingHeaders(
  maps: { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> },
  peer: { sourceIp: string; port: number; protocol: 'http' | 'https' },
): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const headers = { ...maps.headers };
  const multiValueHeaders = { ...maps.multiValueHeaders };
  const forwardedFor: string[] = [];
  for (const name of Object.keys(multiValueHeaders)) {
    if (!/^x-forwarded-(for|port|proto)$/i.test(name)) continue;
    if (name.toLowerCase() === 'x-forwarded-for') forwardedFor.push(...(multiValueHeaders[name] ?? []));
    delete multiValueHeaders[name];
    delete headers[name];
  }
  const set = (name: string, value: string) => {
    headers[name] = value;
    multiValueHeaders[name] = [value];
  };
  set('X-Forwarded-For', [...forwardedFor, peer.sourceIp].join(', '));
  set('X-Forwarded-Port', String(peer.port));
  set('X-Forwarded-Proto', peer.protocol);
  return { headers, multiValueHeaders };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.requestTime` as API Gateway writes it: CLF, `dd/MMM/yyyy:HH:mm:ss +0000` (UTC). */
export function clfTime(epochMs: number): string {
  const date = new Date(epochMs);
  const two = (value: number) => String(value).padStart(2, '0');
  return (
    `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}

/** The $connect URL's query string, as API Gateway hands it over (both fields absent when empty). */
function queryMaps(
  url: string | undefined,
): Pick<ApiGatewayWebSocketEvent, 'queryStringParameters' | 'multiValueQueryStringParameters'> {
  const params = new URL(url ?? '/', 'ws://local').searchParams;
  if (params.size === 0) return {};
  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [name, value] of params) {
    (multiValueQueryStringParameters[name] ??= []).push(value);
    queryStringParameters[name] = value;
  }
  return { queryStringParameters, multiValueQueryStringParameters };
}

function sendJson(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(text);
}

function refuseUpgrade(socket: Duplex, status: number, body = ''): void {
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Refused'}\r\nConnection: close\r\n` +
      `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).byteLength;
    if (size > limit) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startLocalApiGateway(options: LocalApiGatewayOptions): Promise<LocalApiGateway> {
  const limits: LocalApiGatewayLimits = { ...API_GATEWAY_LIMITS, ...options.limits };
  const stage = options.stage ?? 'local';
  const apiId = options.apiId ?? 'localapi';
  const host = options.host ?? '127.0.0.1';
  const connections = new Map<string, OpenConnection>();
  const inFlight = new Set<Promise<unknown>>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes });
  let domainName = '';

  function track<T>(promise: Promise<T>): Promise<T> {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise)).catch(() => {});
    return promise;
  }

  function baseContext(connection: {
    id: string;
    sourceIp: string;
    userAgent?: string;
    connectedAt: number;
  }) {
    const now = Date.now();
    return {
      connectionId: connection.id,
      domainName,
      stage,
      apiId,
      requestId: randomUUID(),
      extendedRequestId: randomUUID(),
      messageDirection: 'IN' as const,
      requestTime: clfTime(now),
      requestTimeEpoch: now,
      connectedAt: connection.connectedAt,
      identity: {
        sourceIp: connection.sourceIp,
        ...(connection.userAgent ? { userAgent: connection.userAgent } : {}),
      },
    };
  }

  async function invoke(
    route: '$connect' | '$disconnect' | '$default',
    event: ApiGatewayWebSocketEvent,
  ): Promise<ApiGatewayWebSocketResult | undefined> {
    const handler =
      route === '$connect'
        ? options.handlers.connect
        : route === '$disconnect'
          ? options.handlers.disconnect
          : options.handlers.message;
    const name = route === '$connect' ? 'connect' : route === '$disconnect' ? 'disconnect' : 'message';
    // API Gateway stops waiting after the integration timeout (the Lambda may still run on).
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new IntegrationTimeoutError(route)), limits.integrationTimeoutMs);
    });
    const deadline = Date.now() + limits.integrationTimeoutMs;
    const context = lambdaContext({
      functionName: `bridge-${name}`,
      region: 'local',
      memoryLimitInMB: 512,
      deadline: () => deadline,
    });
    try {
      const result = await Promise.race([handler(event, context), timeout]);
      return result ?? undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  function touch(connection: OpenConnection): void {
    connection.lastActiveAt = Date.now();
    if (connection.idleTimer) clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => {
      connection.socket.close(1001, 'Going away');
    }, limits.idleTimeoutMs);
    connection.idleTimer.unref();
  }

  function forget(connection: OpenConnection): void {
    connections.delete(connection.id);
    if (connection.idleTimer) clearTimeout(connection.idleTimer);
    clearTimeout(connection.lifetimeTimer);
  }

  function onMessage(connection: OpenConnection, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      // API Gateway WebSocket APIs reject binary frames and disconnect the client with 1003 (no route runs).
      connection.socket.close(1003, 'Binary frames are not supported');
      return;
    }
    touch(connection);
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    const event: ApiGatewayWebSocketEvent = {
      requestContext: {
        ...baseContext(connection),
        routeKey: '$default',
        eventType: 'MESSAGE',
        messageId: randomBytes(12).toString('base64'),
      },
      body: bytes.toString('utf8'),
      isBase64Encoded: false,
    };
    track(
      invoke('$default', event).catch((error: unknown) => {
        options.onHandlerError?.('$default', error);
        // What API Gateway sends the client when the integration fails or times out.
        if (connection.socket.readyState === WebSocket.OPEN) {
          connection.socket.send(
            JSON.stringify({
              message:
                error instanceof IntegrationTimeoutError
                  ? 'Endpoint request timed out'
                  : 'Internal server error',
              connectionId: connection.id,
              requestId: event.requestContext.requestId,
            }),
          );
        }
      }),
    );
  }

  function onClose(connection: OpenConnection, code: number, reason: Buffer): void {
    forget(connection);
    const event: ApiGatewayWebSocketEvent = {
      requestContext: {
        ...baseContext(connection),
        routeKey: '$disconnect',
        eventType: 'DISCONNECT',
        disconnectStatusCode: code,
        disconnectReason: reason.toString('utf8'),
      },
      isBase64Encoded: false,
    };
    track(
      invoke('$disconnect', event).catch((error: unknown) => options.onHandlerError?.('$disconnect', error)),
    );
  }

  async function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const id = newConnectionId();
    const connectedAt = Date.now();
    const sourceIp = request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
    const userAgent = request.headers['user-agent'];
    const { headers, multiValueHeaders } = withForwardingHeaders(headerMaps(request.rawHeaders), {
      sourceIp,
      port: request.socket.localPort ?? 0,
      protocol: 'http',
    });
    const event: ApiGatewayWebSocketEvent = {
      requestContext: {
        ...baseContext({ id, sourceIp, connectedAt, ...(userAgent ? { userAgent } : {}) }),
        routeKey: '$connect',
        eventType: 'CONNECT',
      },
      headers,
      multiValueHeaders,
      ...queryMaps(request.url),
      isBase64Encoded: false,
    };
    let result: ApiGatewayWebSocketResult | undefined;
    try {
      result = await invoke('$connect', event);
    } catch (error) {
      options.onHandlerError?.('$connect', error);
      if (error instanceof IntegrationTimeoutError) refuseUpgrade(socket, 504, 'Endpoint request timed out');
      else refuseUpgrade(socket, 500, 'Internal server error');
      return;
    }
    const status = result?.statusCode ?? 200;
    if (status < 200 || status > 299) {
      refuseUpgrade(socket, status, result?.body ?? '');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection: OpenConnection = {
        id,
        socket: ws,
        connectedAt,
        lastActiveAt: connectedAt,
        sourceIp,
        ...(userAgent ? { userAgent } : {}),
        lifetimeTimer: setTimeout(() => ws.close(1001, 'Going away'), limits.maxConnectionMs),
        closed: new Promise((resolve) => ws.once('close', () => resolve())),
      };
      connection.lifetimeTimer.unref();
      connections.set(id, connection);
      touch(connection);
      ws.on('message', (data, isBinary) => onMessage(connection, data, isBinary));
      ws.on('close', (code, reason) => onClose(connection, code, reason));
      ws.on('error', () => {
        // ws closes the socket itself (1009 for an oversized message); the close handler does the rest.
      });
    });
  }

  async function onManagementRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    const match = /^(?:\/[^/]+)?\/@connections\/([^/]+)$/.exec(path);
    if (!match) {
      sendJson(response, 404, { message: `No route for ${request.method} ${path}` }, 'NotFoundException');
      return;
    }
    const connection = connections.get(decodeURIComponent(match[1]!));
    const open = connection && connection.socket.readyState === WebSocket.OPEN ? connection : undefined;
    if (request.method === 'POST') {
      const body = await readBody(request, limits.maxMessageBytes);
      if (body === 'too_large') {
        sendJson(response, 413, { message: 'Message too long' }, 'PayloadTooLargeException');
        return;
      }
      if (!open) {
        sendJson(response, 410, { message: 'Gone' }, 'GoneException');
        return;
      }
      touch(open);
      await new Promise<void>((resolve) => open.socket.send(body.toString('utf8'), () => resolve()));
      sendJson(response, 200, undefined);
      return;
    }
    if (!open) {
      sendJson(response, 410, { message: 'Gone' }, 'GoneException');
      return;
    }
    if (request.method === 'GET') {
      // The wire names are camelCase (the model's locationName), as API Gateway answers. The model's
      // Identity requires userAgent: empty when the client sent none.
      sendJson(response, 200, {
        connectedAt: new Date(open.connectedAt).toISOString(),
        lastActiveAt: new Date(open.lastActiveAt).toISOString(),
        identity: { sourceIp: open.sourceIp, userAgent: open.userAgent ?? '' },
      });
      return;
    }
    if (request.method === 'DELETE') {
      open.socket.close(1000, 'Deleted');
      response.writeHead(204).end();
      return;
    }
    sendJson(response, 405, { message: `Method ${request.method} not allowed` }, 'BadRequestException');
  }

  const server = createServer((request, response) => {
    onManagementRequest(request, response).catch((error: unknown) => {
      options.onHandlerError?.('@connections', error);
      if (!response.headersSent)
        sendJson(response, 500, { message: 'Internal server error' }, 'InternalServerError');
    });
  });
  server.on('upgrade', (request, socket, head) => {
    void track(onUpgrade(request, socket, head));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  domainName = `${host}:${port}`;

  return {
    url: `ws://${host}:${port}`,
    managementEndpoint: `http://${host}:${port}/${stage}`,
    connectionIds: () => [...connections.keys()],
    async close() {
      const open = [...connections.values()];
      for (const connection of open) connection.socket.close(1001, 'Going away');
      // A peer that does not answer the closing handshake is cut off after a second.
      const cutOff = setTimeout(() => open.forEach((connection) => connection.socket.terminate()), 1000);
      await Promise.all(open.map((connection) => connection.closed));
      clearTimeout(cutOff);
      // Closing fired $disconnect for each; let those and any in-flight messages finish.
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
