// DynamoDbConnectionStore against dynalite (real DynamoDB wire protocol, in memory).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTION_TTL_SECONDS, DynamoDbConnectionStore, connectionTtl } from '@hybrid-runner/aws';
import type { ConnectionRecord } from '@hybrid-runner/core';
import { startDynalite, type TestDynamoDb } from '../../support/dynalite.ts';

let db: TestDynamoDb;
beforeAll(async () => {
  db = await startDynalite({ connectionsTable: 'connections-store-test' });
});
afterAll(async () => {
  await db?.close();
});

function record(connectionId: string, connectedAt: number): ConnectionRecord {
  return {
    connectionId,
    agentId: 'RemoteRunner',
    connectedAt,
    sourceIp: '10.0.0.1',
    ttl: connectionTtl(connectedAt),
  };
}

describe('DynamoDbConnectionStore (dynalite)', () => {
  it('keeps a record just over two hours', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(connectionTtl(now) - now / 1000).toBe(CONNECTION_TTL_SECONDS);
    expect(CONNECTION_TTL_SECONDS).toBeGreaterThan(2 * 3600);
    expect(CONNECTION_TTL_SECONDS).toBeLessThan(3 * 3600);
  });

  it('puts, gets and removes a connection', async () => {
    const now = Date.now();
    const store = new DynamoDbConnectionStore({ client: db.client, tableName: db.connectionsTable });
    await store.put(record('put-get-1', now));
    expect(await store.get('put-get-1')).toEqual(record('put-get-1', now));
    await store.remove('put-get-1');
    expect(await store.get('put-get-1')).toBeUndefined();
    await expect(store.remove('put-get-1')).resolves.toBeUndefined();
  });

  it('lists every connection across pages and hides expired ones', async () => {
    const now = Date.now();
    const store = new DynamoDbConnectionStore({
      client: db.client,
      tableName: 'connections-list-test',
      pageSize: 3,
    });
    const { CreateTableCommand } = await import('@aws-sdk/client-dynamodb');
    await db.client.send(
      new CreateTableCommand({
        TableName: 'connections-list-test',
        AttributeDefinitions: [{ AttributeName: 'connectionId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'connectionId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    for (let i = 0; i < 8; i++) await store.put(record(`live-${i}`, now));
    await store.put({ ...record('expired', now), ttl: Math.floor(now / 1000) - 1 });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.list(cursor);
      seen.push(...page.items.map((item) => item.connectionId));
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(2);
    expect(seen.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `live-${i}`).sort());
    expect(await store.get('expired')).toBeUndefined();
  });

  it('treats a corrupt cursor as the start of the table', async () => {
    const store = new DynamoDbConnectionStore({ client: db.client, tableName: db.connectionsTable });
    await store.put(record('cursor-1', Date.now()));
    const page = await store.list('not-a-cursor');
    expect(page.items.map((item) => item.connectionId)).toContain('cursor-1');
  });
});
