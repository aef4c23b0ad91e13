// DynamoDbIdempotencyStore and DynamoDbCursorStore against dynalite: conditional writes decide who runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCursorStore, DynamoDbIdempotencyStore } from '@hybrid-runner/aws';
import { startDynalite, type TestDynamoDb } from '../../support/dynalite.ts';

let db: TestDynamoDb;
let store: DynamoDbIdempotencyStore;
beforeAll(async () => {
  db = await startDynalite({ stateTable: 'idempotency-test' });
  store = new DynamoDbIdempotencyStore({ client: db.client, tableName: db.stateTable });
});
afterAll(async () => {
  await db?.close();
});

const options = (nowMs: number) => ({ nowMs, lockMs: 60_000, retainSeconds: 86_400 });

describe('DynamoDbIdempotencyStore (dynalite)', () => {
  it('lets exactly one of many concurrent claims through', async () => {
    const now = Date.now();
    const claims = await Promise.all(
      Array.from({ length: 20 }, () => store.claim('race-1', 'fp', options(now))),
    );
    expect(claims.filter((claim) => claim.status === 'claimed')).toHaveLength(1);
    expect(claims.filter((claim) => claim.status === 'in_progress')).toHaveLength(19);
  });

  it('replays the stored response with its fingerprint once completed', async () => {
    const now = Date.now();
    expect(await store.claim('done-1', 'fp-a', options(now))).toEqual({ status: 'claimed' });
    await store.complete('done-1', '{"response":1}', { nowMs: now, retainSeconds: 86_400 });
    expect(await store.claim('done-1', 'fp-a', options(now + 1000))).toEqual({
      status: 'completed',
      fingerprint: 'fp-a',
      response: '{"response":1}',
    });
  });

  it('forgets a completed request after the retention period', async () => {
    const now = Date.now();
    await store.claim('old-1', 'fp', { ...options(now), retainSeconds: 10 });
    await store.complete('old-1', '{}', { nowMs: now, retainSeconds: 10 });
    expect((await store.claim('old-1', 'fp', options(now + 11_000))).status).toBe('claimed');
  });

  it('takes over an abandoned in-progress claim after its lock expires', async () => {
    const now = Date.now();
    await store.claim('stuck-1', 'fp', { ...options(now), lockMs: 1000 });
    expect((await store.claim('stuck-1', 'fp', options(now + 500))).status).toBe('in_progress');
    expect((await store.claim('stuck-1', 'fp', options(now + 1001))).status).toBe('claimed');
  });

  it('release lets a retry run again, but never drops a completed response', async () => {
    const now = Date.now();
    await store.claim('release-1', 'fp', options(now));
    await store.release('release-1');
    expect((await store.claim('release-1', 'fp', options(now))).status).toBe('claimed');
    await store.complete('release-1', '{"kept":true}', { nowMs: now, retainSeconds: 60 });
    await store.release('release-1');
    expect(await store.claim('release-1', 'fp', options(now))).toMatchObject({ status: 'completed' });
  });
});

describe('DynamoDbCursorStore (dynalite)', () => {
  it('stores, expires and clears a named cursor', async () => {
    let now = Date.now();
    const cursors = new DynamoDbCursorStore({ client: db.client, tableName: db.stateTable, now: () => now });
    expect(await cursors.get('reconcile')).toBeUndefined();
    await cursors.set('reconcile', 'token-1', { retainSeconds: 60 });
    expect(await cursors.get('reconcile')).toBe('token-1');
    now += 61_000;
    expect(await cursors.get('reconcile')).toBeUndefined();
    await cursors.set('reconcile', 'token-2', { retainSeconds: 60 });
    await cursors.set('reconcile', undefined, { retainSeconds: 60 });
    expect(await cursors.get('reconcile')).toBeUndefined();
  });
});
