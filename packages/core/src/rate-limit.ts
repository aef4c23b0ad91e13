// The per-connection request rate limit (stage `bridge.rateLimit`): at most `requests` frames per connection
// in each fixed window of `intervalMs`. The counter must be shared by every instance serving a connection
// (Lambda runs many), so it lives behind this port; packages/aws keeps it on the connection's record.
import {
  errorForSender,
  errorResponse,
  type OperationName,
  type ResponseMessage,
} from '@hybrid-runner/protocol';
import type { ParsedFrame } from '@hybrid-runner/protocol';

export interface RateLimit {
  /** Frames admitted per connection in one window. */
  requests: number;
  intervalMs: number;
}

export type Admission = { admitted: true } | { admitted: false; retryAfterMs: number };

export interface RequestRateLimiter {
  readonly limit: RateLimit;
  /** Counts one frame of the connection and says whether it may be served now. Atomic across processes. */
  admit(connectionId: string, nowMs: number): Promise<Admission>;
}

/** The fixed window `nowMs` falls in: its number (the same on every instance) and when it ends. */
export function rateWindow(nowMs: number, intervalMs: number): { index: number; endsAtMs: number } {
  const index = Math.floor(nowMs / intervalMs);
  return { index, endsAtMs: (index + 1) * intervalMs };
}

function seconds(ms: number): string {
  const value = ms / 1000;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/**
 * The answer to a throttled frame: `throttled` for a sender that accepts it, the v1 stand-in otherwise,
 * with `retryAfterMs` either way. It says nothing ran, so a retry with the same id runs the request.
 */
export function throttledResponse(
  parsed: ParsedFrame,
  limit: RateLimit,
  retryAfterMs: number,
): ResponseMessage {
  const id = parsed.ok ? parsed.request.id : parsed.id;
  const op: OperationName | undefined = parsed.ok ? parsed.request.type : parsed.op;
  const wait = Math.max(0, Math.ceil(retryAfterMs));
  const error = errorForSender(
    {
      code: 'throttled',
      message:
        `Too many requests on this connection (at most ${limit.requests} per ${seconds(limit.intervalMs)} s): ` +
        `this one was not run. Send it again with the same id in ${seconds(wait)} s (retryAfterMs).`,
      retryAfterMs: wait,
    },
    parsed.acceptErrorCodes,
  );
  return errorResponse(id, op, error);
}
