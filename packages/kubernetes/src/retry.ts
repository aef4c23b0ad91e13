// When and how long to wait before trying a Kubernetes call again. Full-jitter exponential backoff
// (so many Lambdas retrying at once spread out), bounded attempts, and the server's Retry-After wins.
import { ConflictError } from '@hybrid-runner/core';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Backoff ceiling of the first retry; doubles per retry. */
  baseDelayMs: number;
  /** Upper bound on one backoff delay. */
  maxDelayMs: number;
  /** Longest Retry-After the client honours; a longer one ends the retries (the cluster is overloaded). */
  maxRetryAfterMs: number;
  /** Per-attempt timeout: until the response headers for streams, until the whole body otherwise. */
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 10_000,
  timeoutMs: 10_000,
};

/** Full jitter: a uniform delay in [0, min(max, base·2^retry)). `retry` counts from 0. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds; undefined when absent or unusable. */
export function parseRetryAfter(value: string | undefined, now: Date = new Date()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}

export interface RetryOnConflictOptions {
  /** Attempts in all; client-go's DefaultRetry uses 5. */
  attempts?: number;
  /** Waits between attempts (tests pass a no-op). */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a read-modify-write `update` again while it fails with a 409 Conflict (someone else changed the
 * object since it was read). `update` must read the object afresh on every call.
 */
export async function retryOnConflict<T>(
  update: () => Promise<T>,
  options: RetryOnConflictOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await update();
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= attempts) throw error;
      // Short jittered pause so two writers do not collide again in lockstep.
      await wait(
        backoffDelay(
          attempt - 1,
          { ...DEFAULT_RETRY_POLICY, baseDelayMs: 10, maxDelayMs: 100 },
          options.random,
        ),
      );
    }
  }
}
