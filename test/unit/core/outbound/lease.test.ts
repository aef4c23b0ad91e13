import { describe, expect, it } from 'vitest';
import { MemoryKeeperLeaseStore, decideTakeover, type KeeperLease } from '@hybrid-runner/core';

const policy = { staleAfterMs: 30_000, leadMs: 180_000 };
const lease = (patch: Partial<KeeperLease> = {}): KeeperLease => ({
  generation: 3,
  keeperId: 'k-3',
  state: 'connected',
  leaveBy: 1_000_000,
  renewedAt: 500_000,
  ...patch,
});

describe('decideTakeover', () => {
  it('starts a keeper when there is none, when the holder stopped renewing, and ahead of its leaveBy', () => {
    expect(decideTakeover(undefined, 0, policy)).toEqual({ takeOver: true, reason: 'no keeper' });
    expect(decideTakeover(lease(), 530_000, policy)).toEqual({ takeOver: true, reason: 'holder stale' });
    expect(decideTakeover(lease({ renewedAt: 820_000 }), 820_000, policy)).toEqual({
      takeOver: true,
      reason: 'holder leaving',
    });
  });

  it('leaves a fresh holder with time to serve alone (a tick costs one lease read)', () => {
    expect(decideTakeover(lease({ renewedAt: 510_000 }), 519_999, policy)).toEqual({
      takeOver: false,
      reason: 'holder serving',
    });
  });
});

describe('MemoryKeeperLeaseStore (the conditional semantics the DynamoDB store has)', () => {
  it('lets exactly one of two concurrent claims of the same generation win', async () => {
    const store = new MemoryKeeperLeaseStore();
    const results = await Promise.all([
      store.claim(undefined, lease({ generation: 1, keeperId: 'a' })),
      store.claim(undefined, lease({ generation: 1, keeperId: 'b' })),
    ]);
    expect(results.sort()).toEqual([false, true]);
    expect(await store.renew(2, { state: 'connected', renewedAt: 1 })).toBe(false);
    expect(await store.renew(1, { state: 'connected', renewedAt: 1 })).toBe(true);
    expect((await store.read())?.renewedAt).toBe(1);
  });
});
