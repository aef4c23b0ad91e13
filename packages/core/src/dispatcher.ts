// The bridge's request path, free of AWS: parse a frame, run its operation at most once per request id
// (24 hours), and produce exactly one response. Handlers add transport (size check, send) around it.
import { createHash } from 'node:crypto';
import {
  errorResponse,
  okResponse,
  parseFrame,
  serializeBounded,
  type BridgeRequest,
  type OperationName,
  type OperationPayload,
  type OperationResult,
  type ProtocolError,
  type ResponseMessage,
} from '@hybrid-runner/protocol';
import { isRunnerError } from './errors.ts';
import type { Clock, Ids } from './ports.ts';
import { throttledResponse, type RequestRateLimiter } from './rate-limit.ts';

/** What an operation may know about the request that asked for it. */
export interface RequestContext {
  /** The bridge request id: stable across a client's retries of the same request. */
  requestId: string;
}

export type Operations = {
  [Op in OperationName]: (
    payload: OperationPayload<Op>,
    request?: RequestContext,
  ) => Promise<OperationResult<Op>>;
};

export type IdempotencyClaim =
  | { status: 'claimed' }
  | { status: 'completed'; fingerprint: string; response: string }
  | { status: 'in_progress'; fingerprint: string };

export interface ClaimOptions {
  nowMs: number;
  /** How long a claim blocks duplicates while its request runs; after that it counts as abandoned. */
  lockMs: number;
  /** How long the request id is remembered. */
  retainSeconds: number;
}

/** Remembers request ids and their (serialised) responses; `claim` must be atomic across processes. */
export interface IdempotencyStore {
  claim(key: string, fingerprint: string, options: ClaimOptions): Promise<IdempotencyClaim>;
  complete(key: string, response: string, options: { nowMs: number; retainSeconds: number }): Promise<void>;
  /** Forgets an in-progress claim so a retry runs again (after a fault that left nothing done). */
  release(key: string): Promise<void>;
}

/** A response ready for the wire: the message and its bounded JSON text. */
export interface DispatchResult {
  response: ResponseMessage;
  text: string;
  /** True when the text is a remembered response to an earlier request with the same id. */
  replayed: boolean;
  /** What the request concerned, for log context: the pipeline's fully qualified name and the run. */
  subject?: RequestSubject;
  /** True when the frame was refused by the rate limit (nothing ran, nothing was remembered). */
  throttled?: boolean;
}

/** Where a frame came from, for the per-connection rate limit. */
export interface FrameSource {
  connectionId: string;
}

export interface RequestSubject {
  pipeline?: string;
  runId?: string;
}

/** The pipeline and run a request names, or its response names (a started run's minted id). */
export function requestSubject(request: BridgeRequest, response?: ResponseMessage): RequestSubject {
  const payload = (request.payload ?? {}) as { pipeline?: { fullyQualifiedName?: unknown }; runId?: unknown };
  const answered = response?.ok ? (response.payload as { runId?: unknown } | undefined) : undefined;
  const pipeline = payload.pipeline?.fullyQualifiedName;
  const runId = payload.runId ?? answered?.runId;
  return {
    ...(typeof pipeline === 'string' ? { pipeline } : {}),
    ...(typeof runId === 'string' ? { runId } : {}),
  };
}

export interface UnexpectedErrorReport {
  correlationId: string;
  requestId: string | null;
  op?: OperationName;
  error: unknown;
}

export interface DispatcherOptions {
  operations: Operations;
  idempotency: IdempotencyStore;
  clock: Clock;
  ids: Ids;
  /**
   * Values that must never leave the runner (the bot JWT): any occurrence in a response, even one the
   * client put in its own request, is replaced before the response is stored or sent.
   */
  secretValues?: () => readonly string[];
  /** Logs an unexpected error (the response only says `internal` and the correlation id). */
  onUnexpectedError?: (report: UnexpectedErrorReport) => void;
  /** A repeated request id is answered from memory for this long (protocol: 24 hours). */
  retainSeconds?: number;
  /** Must exceed the longest operation (the Lambda timeout), or a slow run could be started twice. */
  lockMs?: number;
  /** How long a duplicate that arrives while the first is running waits for the first's response. */
  inProgressWaitMs?: number;
  pollIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Per-connection rate limit, consulted for every frame that names its connection, before anything runs or
   * any request id is claimed. A limiter fault admits the frame (the limit protects; it must not take the
   * bridge down with its store) and is reported to onRateLimiterFault.
   */
  rateLimiter?: RequestRateLimiter;
  onRateLimiterFault?: (error: unknown) => void;
}

export const IDEMPOTENCY_RETAIN_SECONDS = 24 * 3600;
const DEFAULT_LOCK_MS = 5 * 60_000;
const DEFAULT_IN_PROGRESS_WAIT_MS = 20_000;
const DEFAULT_POLL_INTERVAL_MS = 100;

/**
 * Error codes after which a retry of the same id runs the operation again instead of replaying the
 * error: nothing was done (the cluster was unreachable) or we failed unexpectedly mid-way.
 */
const RETRYABLE_CODES = new Set<ProtocolError['code']>(['cluster_unavailable', 'internal']);

export const REDACTED = '[redacted]';

/** Replaces each secret (as it appears inside JSON text) with REDACTED. */
export function redactSecrets(jsonText: string, secrets: readonly string[]): string {
  let text = jsonText;
  for (const secret of secrets) {
    // Short values would redact ordinary words; a secret worth hiding is long.
    if (secret.length < 8) continue;
    const encoded = JSON.stringify(secret).slice(1, -1);
    if (text.includes(encoded)) text = text.split(encoded).join(REDACTED);
  }
  return text;
}

/** Same id, same operation and payload: the fingerprint tells a retry from an id reused for another request. */
export function requestFingerprint(request: BridgeRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([request.type, request.payload ?? {}]), 'utf8')
    .digest('base64url');
}

/**
 * The response to a frame that could not be dispatched at all (for example the runner could not reach the
 * cluster at cold start): a runner error keeps its code, anything else becomes `internal` with a
 * correlation id. The frame is still parsed, so the response carries its id.
 */
export function failedDispatchResult(
  frame: unknown,
  error: unknown,
  correlationId: string,
  onUnexpectedError?: (report: UnexpectedErrorReport) => void,
): DispatchResult {
  const parsed = parseFrame(frame);
  const id = parsed.ok ? parsed.request.id : parsed.id;
  const op = parsed.ok ? parsed.request.type : parsed.op;
  const response =
    isRunnerError(error) && error.code !== 'internal'
      ? errorResponse(id, op, { code: error.code, message: error.message })
      : unexpectedErrorResponse(id, op, error, correlationId, onUnexpectedError);
  return { response, text: serializeBounded(response), replayed: false };
}

/** The `internal` response: says only that it failed and how to find the log line, which gets the error. */
function unexpectedErrorResponse(
  requestId: string | null,
  op: OperationName | undefined,
  error: unknown,
  correlationId: string,
  onUnexpectedError?: (report: UnexpectedErrorReport) => void,
): ResponseMessage {
  onUnexpectedError?.({ correlationId, requestId, error, ...(op ? { op } : {}) });
  return errorResponse(requestId, op, {
    code: 'internal',
    message: `The runner failed unexpectedly; quote correlation id ${correlationId} when reporting it.`,
    correlationId,
  });
}

export interface Dispatcher {
  /**
   * Answers one frame (the raw text, or an already decoded value). Never throws for bad input. With a
   * source, the frame counts against its connection's rate limit.
   */
  handleFrame(frame: unknown, source?: FrameSource): Promise<DispatchResult>;
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const retainSeconds = options.retainSeconds ?? IDEMPOTENCY_RETAIN_SECONDS;
  const lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
  const inProgressWaitMs = options.inProgressWaitMs ?? DEFAULT_IN_PROGRESS_WAIT_MS;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  function fresh(response: ResponseMessage): DispatchResult {
    const bounded = serializeBounded(response);
    const text = redactSecrets(bounded, options.secretValues?.() ?? []);
    // serializeBounded swaps an oversized ok response for a payload_too_large error, and redaction may have
    // changed the text: report what is sent. (Parsing back is exact, and only done when it may differ.)
    const changed = text !== bounded || (response.ok && text.includes('payload_too_large'));
    return { response: changed ? (JSON.parse(text) as ResponseMessage) : response, text, replayed: false };
  }

  function internal(
    requestId: string | null,
    op: OperationName | undefined,
    error: unknown,
  ): ResponseMessage {
    return unexpectedErrorResponse(
      requestId,
      op,
      error,
      options.ids.correlationId(),
      options.onUnexpectedError,
    );
  }

  async function execute(request: BridgeRequest): Promise<ResponseMessage> {
    const operation = options.operations[request.type] as (
      payload: unknown,
      context: RequestContext,
    ) => Promise<unknown>;
    try {
      const result = await operation(request.payload, { requestId: request.id });
      return okResponse(request.id, request.type, result as never);
    } catch (error) {
      if (isRunnerError(error) && error.code !== 'internal') {
        return errorResponse(request.id, request.type, { code: error.code, message: error.message });
      }
      return internal(request.id, request.type, error);
    }
  }

  function replay(text: string): DispatchResult {
    return { response: JSON.parse(text) as ResponseMessage, text, replayed: true };
  }

  function reusedId(request: BridgeRequest): DispatchResult {
    return fresh(
      errorResponse(request.id, request.type, {
        code: 'conflict',
        message: `Request id ${request.id} was already used for a different request in the last 24 hours: use a new id.`,
      }),
    );
  }

  async function runOnce(request: BridgeRequest): Promise<DispatchResult> {
    const fingerprint = requestFingerprint(request);
    const deadline = options.clock.now().getTime() + inProgressWaitMs;
    for (;;) {
      const nowMs = options.clock.now().getTime();
      const claim = await options.idempotency.claim(request.id, fingerprint, {
        nowMs,
        lockMs,
        retainSeconds,
      });
      if (claim.status === 'completed') {
        return claim.fingerprint === fingerprint ? replay(claim.response) : reusedId(request);
      }
      if (claim.status === 'in_progress') {
        if (claim.fingerprint !== fingerprint) return reusedId(request);
        if (nowMs >= deadline) {
          return fresh(
            errorResponse(request.id, request.type, {
              code: 'conflict',
              message: `Request ${request.id} is still being processed: repeat it later to receive its response.`,
            }),
          );
        }
        await sleep(pollIntervalMs);
        continue;
      }
      const response = await execute(request);
      const result = fresh(response);
      try {
        if (!response.ok && RETRYABLE_CODES.has(response.error.code)) {
          await options.idempotency.release(request.id);
        } else {
          await options.idempotency.complete(request.id, result.text, {
            nowMs: options.clock.now().getTime(),
            retainSeconds,
          });
        }
      } catch (error) {
        // The operation ran: its response still goes out. The claim expires after lockMs at worst.
        options.onUnexpectedError?.({
          correlationId: options.ids.correlationId(),
          requestId: request.id,
          op: request.type,
          error,
        });
      }
      return result;
    }
  }

  async function throttled(
    parsed: ReturnType<typeof parseFrame>,
    source: FrameSource | undefined,
  ): Promise<DispatchResult | undefined> {
    const limiter = options.rateLimiter;
    if (!limiter || !source) return undefined;
    try {
      const admission = await limiter.admit(source.connectionId, options.clock.now().getTime());
      if (admission.admitted) return undefined;
      return { ...fresh(throttledResponse(parsed, limiter.limit, admission.retryAfterMs)), throttled: true };
    } catch (error) {
      options.onRateLimiterFault?.(error);
      return undefined;
    }
  }

  return {
    async handleFrame(frame, source) {
      const parsed = parseFrame(frame);
      // Every frame counts, unreadable ones too (each costs an invocation); a throttled one is answered
      // before its id is claimed, so its retry with the same id runs normally.
      const refused = await throttled(parsed, source);
      if (refused) return refused;
      if (!parsed.ok)
        return fresh(errorResponse(parsed.id, parsed.op as OperationName | undefined, parsed.error));
      const request = parsed.request;
      let result: DispatchResult;
      try {
        result = await runOnce(request);
      } catch (error) {
        // Claiming failed (the store is unreachable): nothing ran, so the sender may retry.
        result = fresh(internal(request.id, request.type, error));
      }
      return { ...result, subject: requestSubject(request, result.response) };
    },
  };
}
