// Records the HTTP exchanges this process sends, byte for byte (request line, headers, body; status,
// headers, body of the answer; for undici's requests headers and status only), through the diagnostics
// channels of Node's http and of undici: the real SDK clients and the
// real servers stay untouched. Each exchange carries the label of the code that sent it (`as`, on an
// AsyncLocalStorage), so calls can be attributed to the Lambda function whose invocation made them.
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';

export interface WireExchange {
  /** The label of the code that sent it (`as`), or `unlabelled`. */
  sender: string;
  method: string;
  /** `host:port` as the request addressed it. */
  host: string;
  port: number;
  /** Path with query string. */
  path: string;
  headers: Record<string, string>;
  requestBody: Buffer;
  status?: number;
  responseHeaders: Record<string, string>;
  responseBody: Buffer;
  /** Resolves when the answer has been read completely (or the request failed). */
  done: Promise<void>;
}

export interface WireTap {
  exchanges: WireExchange[];
  /** Runs `work` with every request it sends labelled `sender`. */
  as<T>(sender: string, work: () => T): T;
  /** Waits until every exchange recorded so far has its whole answer. */
  settled(): Promise<void>;
  stop(): void;
}

const labels = new AsyncLocalStorage<string>();

/** Runs `work` with every request it sends labelled `sender` (usable before a tap exists, e.g. in vi.mock). */
export function asSender<T>(sender: string, work: () => T): T {
  return labels.run(sender, work);
}

function flatHeaders(headers: OutgoingHttpHeaders | NodeJS.Dict<string | string[]>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return flat;
}

function chunkBuffer(chunk: unknown, encoding?: unknown): Buffer | undefined {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return undefined;
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}

export function startWireTap(options: { ports?: () => Set<number> } = {}): WireTap {
  const exchanges: WireExchange[] = [];
  const open = new WeakMap<ClientRequest, { exchange: WireExchange; finish: () => void }>();

  const onRequest = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    const hostHeader = String(request.getHeader('host') ?? request.host);
    const port = Number(
      /:(\d+)$/.exec(hostHeader)?.[1] ??
        (request as { agent?: { defaultPort?: number } }).agent?.defaultPort ??
        80,
    );
    if (options.ports && !options.ports().has(port)) return;
    const body: Buffer[] = [];
    let finish!: () => void;
    const exchange: WireExchange = {
      sender: labels.getStore() ?? 'unlabelled',
      method: request.method,
      host: hostHeader,
      port,
      path: request.path,
      headers: flatHeaders(request.getHeaders()),
      requestBody: Buffer.alloc(0),
      responseHeaders: {},
      responseBody: Buffer.alloc(0),
      done: new Promise<void>((resolve) => (finish = resolve)),
    };
    exchanges.push(exchange);
    open.set(request, { exchange, finish });
    const write = request.write.bind(request) as (...args: unknown[]) => boolean;
    const end = request.end.bind(request) as (...args: unknown[]) => ClientRequest;
    (request as { write: unknown }).write = (...args: unknown[]) => {
      const chunk = chunkBuffer(args[0], args[1]);
      if (chunk) body.push(chunk);
      return write(...args);
    };
    (request as { end: unknown }).end = (...args: unknown[]) => {
      const chunk = chunkBuffer(args[0], args[1]);
      if (chunk) body.push(chunk);
      exchange.requestBody = Buffer.concat(body);
      // Headers may be added up to the first write (the SDK sets them all before).
      exchange.headers = flatHeaders(request.getHeaders());
      return end(...args);
    };
    request.once('error', () => finish());
    request.once('close', () => setImmediate(finish));
  };

  const onResponse = (message: unknown) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    const entry = open.get(request);
    if (!entry) return;
    const { exchange, finish } = entry;
    exchange.status = response.statusCode;
    exchange.responseHeaders = flatHeaders(response.headers);
    const chunks: Buffer[] = [];
    const emit = response.emit.bind(response) as (event: string, ...args: unknown[]) => boolean;
    (response as { emit: unknown }).emit = (event: string, ...args: unknown[]) => {
      if (event === 'data') {
        const chunk = chunkBuffer(args[0]);
        if (chunk) chunks.push(chunk);
      }
      if (event === 'end' || event === 'close') {
        exchange.responseBody = Buffer.concat(chunks);
        if (event === 'end') finish();
      }
      return emit(event, ...args);
    };
  };

  // undici (the Kubernetes client's HTTP stack) has channels of its own: headers and status, no bodies.
  const undiciOpen = new WeakMap<object, { exchange: WireExchange; finish: () => void }>();
  const onUndiciRequest = (message: unknown) => {
    const { request } = message as {
      request: { origin: string | URL; method: string; path: string; headers: string | string[] };
    };
    const origin = new URL(String(request.origin));
    const port = Number(origin.port || (origin.protocol === 'https:' ? 443 : 80));
    if (options.ports && !options.ports().has(port)) return;
    const headers: Record<string, string> = {};
    const raw = request.headers;
    if (Array.isArray(raw)) {
      for (let index = 0; index + 1 < raw.length; index += 2)
        headers[String(raw[index]).toLowerCase()] = String(raw[index + 1]);
    } else {
      for (const line of String(raw).split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
    }
    let finish!: () => void;
    const exchange: WireExchange = {
      sender: labels.getStore() ?? 'unlabelled',
      method: request.method,
      host: origin.host,
      port,
      path: request.path,
      headers,
      requestBody: Buffer.alloc(0),
      responseHeaders: {},
      responseBody: Buffer.alloc(0),
      done: new Promise<void>((resolve) => (finish = resolve)),
    };
    exchanges.push(exchange);
    undiciOpen.set(request, { exchange, finish });
  };
  const onUndiciHeaders = (message: unknown) => {
    const { request, response } = message as { request: object; response: { statusCode: number } };
    const entry = undiciOpen.get(request);
    if (!entry) return;
    entry.exchange.status = response.statusCode;
    entry.finish();
  };
  const onUndiciError = (message: unknown) =>
    undiciOpen.get((message as { request: object }).request)?.finish();

  // `created` fires before the body is written (`start` only once the request is on the socket).
  subscribe('http.client.request.created', onRequest);
  subscribe('http.client.response.finish', onResponse);
  subscribe('undici:request:create', onUndiciRequest);
  subscribe('undici:request:headers', onUndiciHeaders);
  subscribe('undici:request:error', onUndiciError);
  return {
    exchanges,
    as: asSender,
    async settled() {
      await Promise.all(exchanges.map((exchange) => exchange.done));
    },
    stop() {
      unsubscribe('http.client.request.created', onRequest);
      unsubscribe('http.client.response.finish', onResponse);
      unsubscribe('undici:request:create', onUndiciRequest);
      unsubscribe('undici:request:headers', onUndiciHeaders);
      unsubscribe('undici:request:error', onUndiciError);
    },
  };
}
