// A stand-in for the Collate side of an outbound bridge (bridge.mode: outbound): the WebSocket server the
// runner's keeper dials, plus a relay through which the CLI and the tests act as Collate with the unchanged
// protocol client. It follows the rules the protocol README gives Collate for outbound mode: it admits an agent
// with the right bot JWT (else 401) and agent id (else 403), accepts two connections from one agent during a
// handover, sends each new request on the newest connection, expects its answer on the connection it was sent
// on, takes events from every connection, and repeats (same id) a request whose connection closed
// unanswered. It counts what would break those rules (lost, duplicated or misrouted answers, time without a
// connection) so tests and benchmarks can assert on them.
// What it cannot prove: how the real Collate server routes, authenticates (JWT validation) or limits.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { MAX_MESSAGE_BYTES, OUTBOUND_PATH, parseFrame } from '@hybrid-runner/protocol';

/** The Collate server's path for hybrid runners (the protocol's OUTBOUND_PATH). */
export const COLLATE_AGENT_PATH = OUTBOUND_PATH;
/** Where the CLI and tests connect to act as Collate (stand-in only: no such endpoint on a real server). */
export const COLLATE_RELAY_PATH = '/_stand-in/collate';

export interface CollateSideOptions {
  /** The bot JWT the agent must present (read at each handshake, so a test can rotate it). */
  token: () => string;
  agentId: string;
  port?: number;
  host?: string;
  /** The agent-side frame limit is the protocol's; relay clients may send more (tests of payload_too_large). */
  relayMaxFrameBytes?: number;
  log?: (message: string) => void;
}

export interface CollateSideStats {
  /** Requests relayed to the agent (repeats after a closed connection included). */
  requestsSent: number;
  responsesDelivered: number;
  /** Responses nobody waited for: a request answered twice. */
  duplicateResponses: number;
  /** Responses that came on another connection than their request. */
  misroutedResponses: number;
  /** Requests repeated on the newest connection because theirs closed unanswered. */
  repeated: number;
  eventsDelivered: number;
  /** Of those, events that came on a connection that was no longer the newest (around a handover). */
  eventsFromOlderConnection: number;
  agentConnectionsOpened: number;
  refusedHandshakes: { 401: number; 403: number };
  /** Most agent connections open at once (2 during a handover). */
  maxConcurrentAgentConnections: number;
  /**
   * For each agent connection that opened while another was open (a handover): the requests then still
   * waiting for their answer on the older connections, which must come on those connections.
   */
  inFlightAtHandover: number[];
}

export interface CollateSideStandIn {
  /** `ws://host:port/api/v1/hybrid-runner/ws`: what the keeper dials (bridge.outbound.url). */
  agentUrl: string;
  /** `ws://host:port/_stand-in/collate`: where the protocol client connects to act as Collate. */
  relayUrl: string;
  /** Open agent connections now. */
  agentConnections(): number;
  stats(): CollateSideStats;
  /**
   * Milliseconds with no agent connection since the first one opened (the current gap included); the
   * handover's promise is 0.
   */
  gapMs(): number;
  /** Refuse the next handshakes with this status (undefined: admit again), as a revoked token would. */
  refuseAgents(status: 401 | 403 | undefined): void;
  /** Drops every agent connection (1012, service restart), as a Collate deploy would. */
  dropAgents(): void;
  close(): Promise<void>;
}

interface Pending {
  client: WebSocket;
  /** The frame as the client sent it (binary frames stay binary). */
  frame: string | Buffer;
  via: WebSocket;
}

function bearerMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer (.+)$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1]);
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function bytesOf(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function textOf(data: RawData): string {
  return bytesOf(data).toString('utf8');
}

function refuse(socket: Duplex, status: 401 | 403): void {
  const text = status === 401 ? 'Unauthorized' : 'Forbidden';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export async function startCollateSideStandIn(options: CollateSideOptions): Promise<CollateSideStandIn> {
  const log = options.log ?? (() => undefined);
  const agents = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const relay = new WebSocketServer({
    noServer: true,
    maxPayload: options.relayMaxFrameBytes ?? 1024 * 1024,
  });
  const open: WebSocket[] = [];
  const clients = new Set<WebSocket>();
  /** Waiting requests by id (`null` for frames without a usable id), oldest first. */
  const pending = new Map<string, Pending[]>();
  /** Requests that arrived while no agent was connected. */
  const queued: Array<Omit<Pending, 'via'>> = [];
  let forcedRefusal: 401 | 403 | undefined;
  const stats: CollateSideStats = {
    requestsSent: 0,
    responsesDelivered: 0,
    duplicateResponses: 0,
    misroutedResponses: 0,
    repeated: 0,
    eventsDelivered: 0,
    eventsFromOlderConnection: 0,
    agentConnectionsOpened: 0,
    refusedHandshakes: { 401: 0, 403: 0 },
    maxConcurrentAgentConnections: 0,
    inFlightAtHandover: [],
  };
  let everConnected = false;
  let gapTotal = 0;
  let gapSince: number | undefined;

  const keyOf = (frame: string | Buffer) => {
    const parsed = parseFrame(frame);
    return String(parsed.ok ? parsed.request.id : parsed.id);
  };

  const sendToAgent = (request: Omit<Pending, 'via'>) => {
    const via = open.at(-1);
    if (!via) {
      queued.push(request);
      return;
    }
    const key = keyOf(request.frame);
    const waiting = pending.get(key) ?? [];
    waiting.push({ ...request, via });
    pending.set(key, waiting);
    stats.requestsSent++;
    via.send(request.frame, { binary: typeof request.frame !== 'string' });
  };

  const onAgentFrame = (connection: WebSocket, data: RawData) => {
    const text = textOf(data);
    let message: { type?: unknown; id?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      log('collate side: the agent sent a frame that is not JSON');
      return;
    }
    if (message.type === 'event') {
      // Taken from every connection: a keeper's events are its own (not copies), so dropping an older
      // connection's could lose a pipelineStatus; a state reported twice around a handover is harmless.
      if (connection !== open.at(-1)) stats.eventsFromOlderConnection++;
      stats.eventsDelivered++;
      for (const client of clients) client.send(text);
      return;
    }
    const key = String(message.id ?? null);
    const waiting = pending.get(key) ?? [];
    const index = waiting.findIndex((entry) => entry.via === connection);
    if (index < 0) {
      if (waiting.length > 0) stats.misroutedResponses++;
      else stats.duplicateResponses++;
      return;
    }
    const [entry] = waiting.splice(index, 1);
    if (waiting.length === 0) pending.delete(key);
    stats.responsesDelivered++;
    if (entry!.client.readyState === WebSocket.OPEN) entry!.client.send(text);
  };

  const onAgentClosed = (connection: WebSocket) => {
    const index = open.indexOf(connection);
    if (index >= 0) open.splice(index, 1);
    if (open.length === 0 && everConnected) gapSince = performance.now();
    // Unanswered requests of the closed connection are repeated, same id, on the newest one.
    for (const [key, waiting] of pending) {
      const orphans = waiting.filter((entry) => entry.via === connection);
      if (orphans.length === 0) continue;
      const rest = waiting.filter((entry) => entry.via !== connection);
      if (rest.length > 0) pending.set(key, rest);
      else pending.delete(key);
      for (const orphan of orphans) {
        stats.repeated++;
        sendToAgent({ client: orphan.client, frame: orphan.frame });
      }
    }
  };

  agents.on('connection', (connection: WebSocket) => {
    if (open.length > 0) {
      let waiting = 0;
      for (const entries of pending.values()) waiting += entries.length;
      stats.inFlightAtHandover.push(waiting);
    }
    open.push(connection);
    stats.agentConnectionsOpened++;
    stats.maxConcurrentAgentConnections = Math.max(stats.maxConcurrentAgentConnections, open.length);
    if (gapSince !== undefined) {
      gapTotal += performance.now() - gapSince;
      gapSince = undefined;
    }
    everConnected = true;
    connection.on('message', (data) => onAgentFrame(connection, data));
    connection.once('close', () => onAgentClosed(connection));
    for (const request of queued.splice(0)) sendToAgent(request);
  });

  relay.on('connection', (client: WebSocket) => {
    clients.add(client);
    client.on('message', (data, isBinary) =>
      sendToAgent({ client, frame: isBinary ? bytesOf(data) : textOf(data) }),
    );
    client.once('close', () => clients.delete(client));
  });

  const server = createServer((_request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain' }).end('WebSocket only\n');
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://stand-in').pathname;
    const target = path === COLLATE_AGENT_PATH ? agents : path === COLLATE_RELAY_PATH ? relay : undefined;
    if (!target) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const status = !bearerMatches(request.headers.authorization, options.token())
      ? 401
      : request.headers['x-agent-id'] !== options.agentId
        ? 403
        : target === agents
          ? forcedRefusal
          : undefined;
    if (status) {
      if (target === agents) stats.refusedHandshakes[status]++;
      // Never the token: only the status and which endpoint.
      log(`collate side: refused a ${target === agents ? 'runner' : 'relay'} handshake with ${status}`);
      refuse(socket, status);
      return;
    }
    target.handleUpgrade(request, socket, head, (ws) => target.emit('connection', ws, request));
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  const base = `ws://${options.host ?? '127.0.0.1'}:${port}`;

  return {
    agentUrl: `${base}${COLLATE_AGENT_PATH}`,
    relayUrl: `${base}${COLLATE_RELAY_PATH}`,
    agentConnections: () => open.length,
    stats: () => structuredClone(stats),
    gapMs: () => gapTotal + (gapSince !== undefined ? performance.now() - gapSince : 0),
    refuseAgents: (status) => {
      forcedRefusal = status;
    },
    dropAgents: () => {
      for (const socket of open) socket.close(1012, 'restart');
    },
    close: async () => {
      for (const socket of [...open, ...clients]) socket.terminate();
      agents.close();
      relay.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
