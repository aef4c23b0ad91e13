// DynamoDbIdempotencyStore and DynamoDbCursorStore against dynalite: conditional writes decide who runs.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDbCursorStore, DynamoDbIdempotencyStore } from '@hybrid-runner/aws';
import { createDispatcher, type Operations } from '@hybrid-runner/core';
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

describe('the dispatcher over DynamoDbIdempotencyStore when DynamoDB goes away (dynalite stopped)', () => {
  const request = (id: string) => JSON.stringify({ v: 1, id, type: 'ping', payload: {} });

  function dispatcherOn(fault: TestDynamoDb, ping: () => Promise<unknown>, unexpected: unknown[]) {
    return createDispatcher({
      operations: { ping } as unknown as Operations,
      idempotency: new DynamoDbIdempotencyStore({ client: fault.client, tableName: fault.stateTable }),
      clock: { now: () => new Date() },
      ids: { runId: () => 'run', correlationId: () => 'corr-1' },
      onUnexpectedError: (report) => unexpected.push(report.error),
    });
  }

  it('answers internal and runs nothing when the claim cannot be written', async () => {
    const fault = await startDynalite({ stateTable: 'idempotency-down' });
    await fault.close();
    const ping = vi.fn(async () => ({ pong: true, agentId: 'a', version: '1' }));
    const unexpected: unknown[] = [];
    const result = await dispatcherOn(fault, ping, unexpected).handleFrame(request('down-1'));
    expect(result.response).toMatchObject({
      id: 'down-1',
      ok: false,
      error: { code: 'internal', correlationId: 'corr-1' },
    });
    expect(ping).not.toHaveBeenCalled();
    expect(unexpected).toHaveLength(1);
  });

  it('still answers with the result when DynamoDB stops while the operation runs', async () => {
    const fault = await startDynalite({ stateTable: 'idempotency-stops' });
    const ping = vi.fn(async () => {
      await fault.close();
      return { pong: true, agentId: 'a', version: '1' };
    });
    const unexpected: unknown[] = [];
    const result = await dispatcherOn(fault, ping, unexpected).handleFrame(request('stops-1'));
    expect(result.response).toMatchObject({ id: 'stops-1', ok: true, payload: { pong: true } });
    expect(ping).toHaveBeenCalledTimes(1);
    // Remembering the response failed: logged, and the claim lapses after its lock.
    expect(unexpected).toHaveLength(1);
  });
});
