// DynamoDbKeeperLeaseStore against dynalite: the conditional writes that let one keeper hold the bridge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbKeeperLeaseStore } from '@hybrid-runner/aws';
import type { KeeperLease } from '@hybrid-runner/core';
import { startDynalite, type TestDynamoDb } from '../../support/dynalite.ts';

let db: TestDynamoDb;
beforeAll(async () => {
  db = await startDynalite({ stateTable: 'keeper-lease-test' });
});
afterAll(async () => {
  await db?.close();
});

const lease = (generation: number, keeperId: string): KeeperLease => ({
  generation,
  keeperId,
  state: 'connecting',
  leaveBy: 2_000_000,
  renewedAt: 1_000_000,
});

describe('DynamoDbKeeperLeaseStore (dynalite)', () => {
  it('is empty at first; of many concurrent claims of one generation exactly one wins', async () => {
    const store = new DynamoDbKeeperLeaseStore({ client: db.client, tableName: db.stateTable });
    expect(await store.read()).toBeUndefined();
    const first = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.claim(undefined, lease(1, `k${i}`))),
    );
    expect(first.filter(Boolean)).toHaveLength(1);
    const second = await Promise.all(Array.from({ length: 10 }, (_, i) => store.claim(1, lease(2, `n${i}`))));
    expect(second.filter(Boolean)).toHaveLength(1);
    expect(await store.read()).toMatchObject({ generation: 2, state: 'connecting' });
  });

  it('renews only the stored generation', async () => {
    const store = new DynamoDbKeeperLeaseStore({ client: db.client, tableName: db.stateTable });
    const current = (await store.read())!;
    expect(await store.renew(current.generation - 1, { state: 'connected', renewedAt: 5 })).toBe(false);
    expect(await store.renew(current.generation, { state: 'connected', renewedAt: 7 })).toBe(true);
    expect(await store.read()).toEqual({ ...current, state: 'connected', renewedAt: 7 });
  });
});
