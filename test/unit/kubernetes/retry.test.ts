import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '@hybrid-runner/core';
import {
  DEFAULT_RETRY_POLICY,
  backoffDelay,
  parseRetryAfter,
  retryOnConflict,
} from '@hybrid-runner/kubernetes';

describe('retry helpers', () => {
  it('parses Retry-After as seconds or as an HTTP date, ignoring garbage', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('backs off with full jitter under a doubling, capped ceiling', () => {
    const top = () => 0.999999;
    expect(backoffDelay(0, DEFAULT_RETRY_POLICY, top)).toBe(199);
    expect(backoffDelay(3, DEFAULT_RETRY_POLICY, top)).toBe(1599);
    expect(backoffDelay(20, DEFAULT_RETRY_POLICY, top)).toBe(DEFAULT_RETRY_POLICY.maxDelayMs - 1);
    expect(backoffDelay(5, DEFAULT_RETRY_POLICY, () => 0)).toBe(0);
  });

  it('retryOnConflict repeats only conflicts, and only a bounded number of times', async () => {
    let calls = 0;
    await expect(
      retryOnConflict(
        async () => {
          calls++;
          throw new ConflictError('changed');
        },
        { attempts: 3, sleep: async () => undefined },
      ),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      retryOnConflict(async () => {
        calls++;
        throw new NotFoundError('gone');
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(calls).toBe(1);
  });
});
