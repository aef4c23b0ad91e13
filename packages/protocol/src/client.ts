// BridgeClient: the Collate side of the bridge, in Node on `ws`. Used by our CLI and end-to-end tests, and a
// reference for Collate. It correlates responses by request id, checks them against the validators,
// reconnects with exponential backoff and jitter after unexpected closes, and renews the connection before
// API Gateway's 2-hour limit by opening the new socket first and letting the old one drain.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { ClientOptions, RawData } from 'ws';
import { EVENT_NAMES, EXTENSION_ERROR_CODES, MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from './constants.ts';
import type { ErrorCode, EventName, OperationName } from './constants.ts';
import { MessageTooLargeError, utf8ByteLength } from './messages.ts';
import {
  ID_PATTERN,
  eventEnvelopeSchema,
  eventPayloadSchemas,
  operationResultSchemas,
  responseEnvelopeSchema,
} from './schemas.ts';
import type { EventPayload, OperationPayload, OperationResult } from './schemas.ts';

export interface ReconnectOptions {
  /** Delay before the first reconnect attempt, before jitter. Default 500 ms. */
  initialDelayMs?: number;
  /** Upper bound of the delay between attempts, before jitter. Default 30 s. */
  maxDelayMs?: number;
  /** Attempts after one unexpected close before the client gives up. Default: never gives up. */
  maxAttempts?: number;
}

export interface BridgeClientOptions {
  /** The ingestion bot JWT, sent as `Authorization: Bearer …`. Never logged or put in an error. */
  token: string;
  /** Sent as `X-Agent-Id`. */
  agentId: string;
  /** Default timeout of `request`. Default 30 s. */
  requestTimeoutMs?: number;
  /** Timeout of the WebSocket opening handshake. Default 10 s. */
  connectTimeoutMs?: number;
  reconnect?: ReconnectOptions;
  /**
   * Age at which a connection is replaced by a fresh one, ahead of API Gateway's 2-hour limit.
   * Default 1 h 50 min.
   */
  connectionLifetimeMs?: number;
  /** Check response payloads against the protocol validators (default true). */
  validateResponses?: boolean;
  /** Source of jitter in [0, 1); tests pin it. Default Math.random. */
  random?: () => number;
  /** Extra `ws` options, for example `ca` to trust a local stage's self-signed certificate. */
  socketOptions?: Omit<ClientOptions, 'headers' | 'handshakeTimeout'>;
  /**
   * Send the token over plain `ws://` to a host other than this machine (default false: only `wss://`, or
   * `ws://` to a loopback address such as the local stage, carries the token).
   */
  allowPlainTextToken?: boolean;
  /**
   * Send a request again, with the same id, when the runner answers `throttled` (default true): the runner did
   * not run it, so waiting `retryAfterMs` and sending it again is safe. Only while the request's timeout
   * leaves room for the wait; otherwise the request rejects with the `throttled` BridgeRequestError.
   */
  retryThrottled?: boolean;
}

/** Hosts whose traffic never leaves this machine, so a plain `ws://` handshake exposes no token. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}

export interface RequestOptions {
  timeoutMs?: number;
  /** Reuse an id to retry a request safely: the runner answers a repeated id with its first response. */
  id?: string;
}

export type ClientLifecycleEvent =
  | { type: 'connected'; renewal: boolean }
  | { type: 'disconnected'; code: number; reason: string }
  | { type: 'reconnecting'; attempt: number; delayMs: number }
  | { type: 'stopped'; error: Error }
  | { type: 'unexpectedMessage'; reason: string }
  | { type: 'throttled'; requestId: string; retryAfterMs: number }
  | { type: 'handlerError'; event: EventName; error: unknown };

const ACCEPTED_CODES = Object.keys(EXTENSION_ERROR_CODES);
/** How long to wait before sending a throttled request again when the runner did not say. */
const DEFAULT_THROTTLED_WAIT_MS = 1000;

export const DEFAULT_CONNECTION_LIFETIME_MS = 110 * 60 * 1000;

/** The runner answered a request with `ok: false`. */
export class BridgeRequestError extends Error {
  readonly code: ErrorCode;
  readonly requestId: string;
  readonly op: OperationName;
  /** When the runner said the same request may be sent again (`throttled`), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    requestId: string,
    op: OperationName,
    options: { retryAfterMs?: number } = {},
  ) {
    super(`${op} failed (${code}): ${message}`);
    this.name = 'BridgeRequestError';
    this.code = code;
    this.requestId = requestId;
    this.op = op;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The connection failed or dropped; a request that gets this may be retried with the same id. */
export class BridgeConnectionError extends Error {
  readonly requestId: string | undefined;
  constructor(message: string, options?: { requestId?: string; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = 'BridgeConnectionError';
    this.requestId = options?.requestId;
  }
}

/** No response within the timeout. The request may still run; retry with the same id to learn its result. */
export class BridgeTimeoutError extends BridgeConnectionError {
  readonly timeoutMs: number;
  constructor(requestId: string, op: OperationName, timeoutMs: number) {
    super(
      `No response to ${op} request ${requestId} within ${timeoutMs} ms. It may still have run: retry with ` +
        'the same id to get its result without running it twice.',
      { requestId },
    );
    this.name = 'BridgeTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** The runner refused the handshake with 401 (token) or 403 (agent id). Never retried automatically. */
export class BridgeAuthError extends Error {
  readonly status: 401 | 403;
  constructor(status: 401 | 403, agentId: string) {
    super(
      status === 401
        ? 'The runner refused the token (HTTP 401): check the ingestion bot JWT given as the token.'
        : `The runner accepted the token but refused agent id "${agentId}" (HTTP 403): ` +
            "use the agent id of the runner's configuration (config.agentId).",
    );
    this.name = 'BridgeAuthError';
    this.status = status;
  }
}

/** The runner's response did not match the protocol: a runner bug, reported with field paths only. */
export class BridgeResponseError extends Error {
  readonly requestId: string;
  constructor(message: string, requestId: string) {
    super(message);
    this.name = 'BridgeResponseError';
    this.requestId = requestId;
  }
}

interface Pending {
  id: string;
  op: OperationName;
  text: string;
  /** The socket the request went out on; undefined while waiting for a connection. */
  socket: WebSocket | undefined;
  timer: ReturnType<typeof setTimeout>;
  /** When the request times out (epoch ms). */
  deadline: number;
  /** Set while a throttled request waits to be sent again. */
  retryTimer?: ReturnType<typeof setTimeout>;
  resolve: (payload: unknown) => void;
  reject: (error: Error) => void;
}

type EventHandler = (payload: never) => void;

const knownEvents: ReadonlySet<string> = new Set(EVENT_NAMES);

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function issuePaths(issues: ReadonlyArray<{ path: readonly PropertyKey[] }>): string {
  return [...new Set(issues.map((i) => ['payload', ...i.path].map(String).join('.')))].slice(0, 5).join(', ');
}

export class BridgeClient {
  readonly url: string;
  readonly #options: BridgeClientOptions;
  readonly #pending = new Map<string, Pending>();
  readonly #handlers = new Map<EventName, Set<EventHandler>>();
  readonly #lifecycle = new Set<(event: ClientLifecycleEvent) => void>();
  /** Sockets that must not trigger a reconnect when they close (replaced or closed by us). */
  readonly #retiring = new WeakSet<WebSocket>();
  readonly #sockets = new Set<WebSocket>();
  #active: WebSocket | undefined;
  #closed = false;
  #stopped: Error | undefined;
  #reconnecting = false;
  #lifetimeTimer: ReturnType<typeof setTimeout> | undefined;
  #sleep: { timer: ReturnType<typeof setTimeout>; wake: () => void } | undefined;

  /** Opens a connection; rejects with BridgeAuthError on 401/403 and BridgeConnectionError otherwise. */
  static async connect(url: string, options: BridgeClientOptions): Promise<BridgeClient> {
    const client = new BridgeClient(url, options);
    const socket = await client.#open();
    client.#adopt(socket);
    return client;
  }

  private constructor(url: string, options: BridgeClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new TypeError('The bridge URL is not a URL: give ws://host:port/path or wss://host/path.');
    }
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
      throw new TypeError(`The bridge URL must start with ws:// or wss://, not ${parsed.protocol}//.`);
    }
    if (!options.token) throw new TypeError('A token (the ingestion bot JWT) is required to connect.');
    if (!options.agentId) throw new TypeError('An agentId is required to connect.');
    if (parsed.protocol === 'ws:' && !isLoopbackHost(parsed.hostname) && !options.allowPlainTextToken) {
      throw new TypeError(
        `ws://${parsed.host} would send the ingestion bot JWT unencrypted: use wss:// (API Gateway serves only ` +
          'wss://), or ws:// to this machine only (127.0.0.1, localhost).',
      );
    }
    this.url = url;
    this.#options = options;
  }

  get connected(): boolean {
    return this.#active?.readyState === WebSocket.OPEN;
  }

  /** Sends a request and resolves its response payload; rejects with one of this module's errors. */
  request<Op extends OperationName>(
    type: Op,
    payload: OperationPayload<Op>,
    options: RequestOptions = {},
  ): Promise<OperationResult<Op>> {
    const id = options.id ?? randomUUID();
    const timeoutMs = options.timeoutMs ?? this.#options.requestTimeoutMs ?? 30_000;
    if (!ID_PATTERN.test(id)) {
      return Promise.reject(new TypeError('A request id must be 1–128 characters of [A-Za-z0-9._:-].'));
    }
    if (this.#closed)
      return Promise.reject(new BridgeConnectionError('The client is closed.', { requestId: id }));
    // Stopped (refused on reconnect): a still-open connection keeps serving until it closes.
    if (this.#stopped && !this.connected) return Promise.reject(this.#stopped);
    if (this.#pending.has(id)) {
      return Promise.reject(new TypeError(`Request ${id} is already waiting for its response.`));
    }
    // This client knows every extension error code, so it asks for them (throttled among them).
    const text = JSON.stringify({ v: PROTOCOL_VERSION, id, type, payload, acceptErrorCodes: ACCEPTED_CODES });
    const bytes = utf8ByteLength(text);
    if (bytes > MAX_MESSAGE_BYTES) return Promise.reject(new MessageTooLargeError(`${type} request`, bytes));

    return new Promise<OperationResult<Op>>((resolve, reject) => {
      const entry: Pending = {
        id,
        op: type,
        text,
        socket: undefined,
        timer: setTimeout(() => this.#settle(entry, new BridgeTimeoutError(id, type, timeoutMs)), timeoutMs),
        deadline: Date.now() + timeoutMs,
        resolve: resolve as (payload: unknown) => void,
        reject,
      };
      this.#pending.set(id, entry);
      const socket = this.#active;
      if (socket?.readyState === WebSocket.OPEN) this.#send(entry, socket);
      // Otherwise it goes out when the next connection opens (see #adopt), or times out.
    });
  }

  /** Subscribes to a runner event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    set.add(handler as EventHandler);
    return () => set.delete(handler as EventHandler);
  }

  /** Subscribes to connection lifecycle events (connected, disconnected, reconnecting, stopped, …). */
  onLifecycle(listener: (event: ClientLifecycleEvent) => void): () => void {
    this.#lifecycle.add(listener);
    return () => this.#lifecycle.delete(listener);
  }

  /** Closes every socket; pending requests reject with BridgeConnectionError. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#lifetimeTimer);
    this.#wake();
    for (const entry of [...this.#pending.values()]) {
      this.#settle(
        entry,
        new BridgeConnectionError('The client was closed before the response arrived.', {
          requestId: entry.id,
        }),
      );
    }
    await Promise.all([...this.#sockets].map((socket) => this.#closeSocket(socket, 'client closed')));
  }

  #emit(event: ClientLifecycleEvent): void {
    for (const listener of this.#lifecycle) {
      try {
        listener(event);
      } catch {
        // A listener's fault must not break the connection handling.
      }
    }
  }

  #open(): Promise<WebSocket> {
    const { token, agentId } = this.#options;
    return new Promise<WebSocket>((resolve, reject) => {
      let refusal: Error | undefined;
      const socket = new WebSocket(this.url, {
        ...this.#options.socketOptions,
        handshakeTimeout: this.#options.connectTimeoutMs ?? 10_000,
        headers: { Authorization: `Bearer ${token}`, 'X-Agent-Id': agentId },
      });
      socket.once('unexpected-response', (_request, response) => {
        const status = response.statusCode ?? 0;
        response.resume();
        refusal =
          status === 401 || status === 403
            ? new BridgeAuthError(status, agentId)
            : new BridgeConnectionError(
                `The runner refused the WebSocket handshake with HTTP ${status}; the client retries later.`,
              );
        socket.terminate();
      });
      let opened = false;
      socket.on('error', (error: Error) => {
        // After the handshake an error is always followed by 'close', where the connection is handled.
        if (opened) return;
        reject(
          refusal ??
            new BridgeConnectionError(`Could not connect to the runner at ${this.url}: ${error.message}`, {
              cause: error,
            }),
        );
      });
      socket.once('open', () => {
        opened = true;
        this.#sockets.add(socket);
        socket.on('message', (data) => this.#receive(socket, data));
        socket.once('close', (code, reason) => this.#onClose(socket, code, reason.toString('utf8')));
        resolve(socket);
      });
    });
  }

  /** Makes `socket` the one new requests use; the previous one drains, then closes. */
  #adopt(socket: WebSocket): void {
    const previous = this.#active;
    this.#active = socket;
    this.#emit({ type: 'connected', renewal: previous !== undefined });
    clearTimeout(this.#lifetimeTimer);
    this.#lifetimeTimer = setTimeout(
      () => void this.#reconnect('renewal'),
      this.#options.connectionLifetimeMs ?? DEFAULT_CONNECTION_LIFETIME_MS,
    );
    this.#lifetimeTimer.unref?.();
    if (previous) {
      this.#retiring.add(previous);
      this.#closeIfDrained(previous);
    }
    for (const entry of this.#pending.values()) {
      if (entry.socket === undefined && entry.retryTimer === undefined) this.#send(entry, socket);
    }
  }

  /** A throttled request goes out again after the runner's wait, if its timeout leaves room for it. */
  #retryLater(entry: Pending, retryAfterMs: number | undefined): boolean {
    if (this.#options.retryThrottled === false) return false;
    const delayMs = retryAfterMs ?? DEFAULT_THROTTLED_WAIT_MS;
    if (Date.now() + delayMs >= entry.deadline) return false;
    const socket = entry.socket;
    entry.socket = undefined;
    entry.retryTimer = setTimeout(() => {
      entry.retryTimer = undefined;
      if (this.#pending.get(entry.id) !== entry) return;
      const active = this.#active;
      // No open connection now: the next one sends it (see #adopt).
      if (active?.readyState === WebSocket.OPEN) this.#send(entry, active);
    }, delayMs);
    this.#emit({ type: 'throttled', requestId: entry.id, retryAfterMs: delayMs });
    if (socket && this.#retiring.has(socket)) this.#closeIfDrained(socket);
    return true;
  }

  #send(entry: Pending, socket: WebSocket): void {
    entry.socket = socket;
    socket.send(entry.text, (error) => {
      if (error && this.#pending.get(entry.id) === entry) {
        this.#settle(
          entry,
          new BridgeConnectionError(
            `Sending ${entry.op} request ${entry.id} failed: retry with the same id.`,
            { requestId: entry.id, cause: error },
          ),
        );
      }
    });
  }

  #settle(entry: Pending, outcome: Error | { payload: unknown }): void {
    if (this.#pending.get(entry.id) !== entry) return;
    this.#pending.delete(entry.id);
    clearTimeout(entry.timer);
    clearTimeout(entry.retryTimer);
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome.payload);
    if (entry.socket && this.#retiring.has(entry.socket)) this.#closeIfDrained(entry.socket);
  }

  #closeIfDrained(socket: WebSocket): void {
    for (const entry of this.#pending.values()) if (entry.socket === socket) return;
    void this.#closeSocket(socket, 'replaced by a new connection');
  }

  #closeSocket(socket: WebSocket, reason: string): Promise<void> {
    this.#retiring.add(socket);
    if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const force = setTimeout(() => socket.terminate(), 2000);
      socket.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      if (socket.readyState !== WebSocket.CLOSING) socket.close(1000, reason);
    });
  }

  #onClose(socket: WebSocket, code: number, reason: string): void {
    this.#sockets.delete(socket);
    for (const entry of [...this.#pending.values()]) {
      if (entry.socket !== socket) continue;
      this.#settle(
        entry,
        new BridgeConnectionError(
          `The connection closed (code ${code}) before the response to ${entry.op} request ${entry.id} ` +
            'arrived. Retry with the same id: the runner answers a repeated id with its first response and ' +
            'never runs a request twice.',
          { requestId: entry.id },
        ),
      );
    }
    if (socket !== this.#active) return;
    this.#active = undefined;
    clearTimeout(this.#lifetimeTimer);
    this.#emit({ type: 'disconnected', code, reason });
    if (!this.#retiring.has(socket)) void this.#reconnect('dropped');
  }

  #backoffDelay(attempt: number): number {
    const initial = this.#options.reconnect?.initialDelayMs ?? 500;
    const max = this.#options.reconnect?.maxDelayMs ?? 30_000;
    const base = Math.min(max, initial * 2 ** (attempt - 1));
    // "Equal jitter": at least half the exponential delay, so attempts still spread out over time.
    const random = this.#options.random ?? Math.random;
    return Math.round(base / 2 + (random() * base) / 2);
  }

  /** Opens a replacement connection: after backoff when one dropped, at once first when renewing. */
  async #reconnect(cause: 'dropped' | 'renewal'): Promise<void> {
    if (this.#reconnecting || this.#closed || this.#stopped) return;
    this.#reconnecting = true;
    const maxAttempts = this.#options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY;
    let attempt = 0;
    let lastError: Error | undefined;
    try {
      while (!this.#closed) {
        if (cause === 'dropped' || attempt > 0) {
          attempt++;
          if (attempt > maxAttempts) {
            this.#stop(
              new BridgeConnectionError(
                `Gave up reconnecting to the runner after ${maxAttempts} attempts` +
                  (lastError ? `: ${lastError.message}` : '.'),
                { cause: lastError },
              ),
            );
            return;
          }
          const delayMs = this.#backoffDelay(attempt);
          this.#emit({ type: 'reconnecting', attempt, delayMs });
          await new Promise<void>((wake) => {
            this.#sleep = { timer: setTimeout(wake, delayMs), wake };
          });
          this.#sleep = undefined;
          if (this.#closed) return;
        } else {
          attempt++;
        }
        try {
          const socket = await this.#open();
          if (this.#closed) {
            await this.#closeSocket(socket, 'client closed');
            return;
          }
          this.#adopt(socket);
          return;
        } catch (error) {
          if (error instanceof BridgeAuthError) {
            this.#stop(error);
            return;
          }
          lastError = error as Error;
        }
      }
    } finally {
      this.#reconnecting = false;
    }
  }

  #wake(): void {
    if (!this.#sleep) return;
    clearTimeout(this.#sleep.timer);
    this.#sleep.wake();
    this.#sleep = undefined;
  }

  /** No more reconnects: requests waiting for a connection fail with `error`. */
  #stop(error: Error): void {
    this.#stopped = error;
    for (const entry of [...this.#pending.values()])
      if (entry.socket === undefined) this.#settle(entry, error);
    this.#emit({ type: 'stopped', error });
  }

  #receive(socket: WebSocket, data: RawData): void {
    let message: unknown;
    try {
      message = JSON.parse(rawText(data));
    } catch {
      this.#emit({ type: 'unexpectedMessage', reason: 'The runner sent a frame that is not JSON.' });
      return;
    }
    const type = (message as { type?: unknown } | null)?.type;
    if (type === 'response') this.#receiveResponse(socket, message);
    // While a replaced socket drains, the runner still broadcasts to it: its events would arrive twice.
    else if (type === 'event') {
      if (socket === this.#active) this.#receiveEvent(message);
    } else
      this.#emit({
        type: 'unexpectedMessage',
        reason: 'The runner sent a message that is neither response nor event.',
      });
  }

  #receiveResponse(socket: WebSocket, message: unknown): void {
    const envelope = responseEnvelopeSchema.safeParse(message);
    if (!envelope.success) {
      this.#emit({
        type: 'unexpectedMessage',
        reason: `Malformed response (${issuePaths(envelope.error.issues)}).`,
      });
      return;
    }
    const response = envelope.data;
    const entry = response.id === null ? undefined : this.#pending.get(response.id);
    if (!entry || entry.socket !== socket) {
      const what = response.error ? `${response.error.code}: ${response.error.message}` : 'ok';
      this.#emit({
        type: 'unexpectedMessage',
        reason: `Response to no waiting request (id ${response.id}; ${what}).`,
      });
      return;
    }
    if (!response.ok) {
      const error = response.error ?? {
        code: 'internal' as const,
        message: 'The runner gave no error detail.',
      };
      if (error.code === 'throttled' && this.#retryLater(entry, error.retryAfterMs)) return;
      this.#settle(
        entry,
        new BridgeRequestError(error.code, error.message, entry.id, entry.op, {
          ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
        }),
      );
      return;
    }
    if (this.#options.validateResponses === false) {
      this.#settle(entry, { payload: response.payload });
      return;
    }
    const checked = operationResultSchemas[entry.op].safeParse(response.payload);
    this.#settle(
      entry,
      checked.success
        ? { payload: checked.data }
        : new BridgeResponseError(
            `The runner's ${entry.op} response does not match the protocol (${issuePaths(checked.error.issues)}).`,
            entry.id,
          ),
    );
  }

  #receiveEvent(message: unknown): void {
    const envelope = eventEnvelopeSchema.safeParse(message);
    if (!envelope.success || !knownEvents.has(envelope.data.event)) {
      this.#emit({
        type: 'unexpectedMessage',
        reason: 'The runner sent an event this client does not know.',
      });
      return;
    }
    const name = envelope.data.event as EventName;
    const payload = eventPayloadSchemas[name].safeParse(envelope.data.payload);
    if (!payload.success) {
      this.#emit({
        type: 'unexpectedMessage',
        reason: `The ${name} event does not match the protocol (${issuePaths(payload.error.issues)}).`,
      });
      return;
    }
    for (const handler of this.#handlers.get(name) ?? []) {
      try {
        (handler as (payload: unknown) => void)(payload.data);
      } catch (error) {
        this.#emit({ type: 'handlerError', event: name, error });
      }
    }
  }
}
