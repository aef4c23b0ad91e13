// The DynamoDB rate limit counter on dynalite (a real DynamoDB wire protocol, in memory; it cannot prove
// DynamoDB's own throughput limits): atomic across clients, per window, and never creating items.
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbConnectionRateLimiter, DynamoDbConnectionStore, connectionTtl } from '@hybrid-runner/aws';
import { startDynalite, type TestDynamoDb } from '../../support/dynalite.ts';

let db: TestDynamoDb;
let connections: DynamoDbConnectionStore;
const limit = { requests: 5, intervalMs: 10_000 };
const T0 = 1_700_000_000_000; // the start of a window (a multiple of 10 s)

beforeAll(async () => {
  db = await startDynalite();
  connections = new DynamoDbConnectionStore({
    client: db.client,
    tableName: db.connectionsTable,
    now: () => T0,
  });
});
afterAll(async () => db.close());

let sequence = 0;
let connectionId: string;
beforeEach(async () => {
  connectionId = `rate-${++sequence}`;
  await connections.put({ connectionId, agentId: 'agent', connectedAt: T0, ttl: connectionTtl(T0) });
});

const limiter = (client = db.client) =>
  new DynamoDbConnectionRateLimiter({ client, tableName: db.connectionsTable, limit });

describe('DynamoDbConnectionRateLimiter (dynalite)', () => {
  it('admits `requests` frames per window, then says when the window ends', async () => {
    const rate = limiter();
    for (let index = 0; index < limit.requests; index += 1) {
      expect(await rate.admit(connectionId, T0 + 100 * index)).toEqual({ admitted: true });
    }
    expect(await rate.admit(connectionId, T0 + 2_500)).toEqual({ admitted: false, retryAfterMs: 7_500 });
    // The next window starts afresh.
    expect(await rate.admit(connectionId, T0 + 10_000)).toEqual({ admitted: true });
  });

  it('is atomic across clients: of many concurrent frames exactly `requests` are admitted', async () => {
    const clients = [db.newClient(), db.newClient(), db.newClient()];
    try {
      const limiters = clients.map((client) => limiter(client));
      const results = await Promise.all(
        Array.from({ length: 24 }, (_, index) => limiters[index % 3]!.admit(connectionId, T0 + 1_000)),
      );
      expect(results.filter((result) => result.admitted)).toHaveLength(limit.requests);
    } finally {
      for (const client of clients) client.destroy();
    }
  });

  it('is atomic across clients at a window change too (the reset is conditional)', async () => {
    const rate = limiter();
    for (let index = 0; index < limit.requests; index += 1) await rate.admit(connectionId, T0);
    const clients = [db.newClient(), db.newClient()];
    try {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, index) =>
          limiter(clients[index % 2]).admit(connectionId, T0 + 10_001),
        ),
      );
      expect(results.filter((result) => result.admitted)).toHaveLength(limit.requests);
    } finally {
      for (const client of clients) client.destroy();
    }
  });

  it('admits a first frame whose window another frame started between its write and its read', async () => {
    // Two first frames at once on a new connection (the CLI sends ping and getServiceStatus together):
    // hold the second after its first write, which fails for want of a window, until the first has started
    // the window; the second then finds a current window with room and must count in it, not be throttled.
    const client = db.newClient();
    let release!: () => void;
    const firstWriteDone = new Promise<void>((resolve) => (release = resolve));
    let resumed!: () => void;
    const resume = new Promise<void>((resolve) => (resumed = resolve));
    let writes = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        try {
          return await next(args);
        } finally {
          if (context.commandName === 'UpdateItemCommand' && ++writes === 1) {
            release();
            await resume;
          }
        }
      },
      { step: 'initialize', name: 'holdAfterFirstWrite' },
    );
    try {
      const second = limiter(client).admit(connectionId, T0 + 1_000);
      await firstWriteDone;
      expect(await limiter().admit(connectionId, T0 + 1_000)).toEqual({ admitted: true });
      resumed();
      expect(await second).toEqual({ admitted: true });
      const item = await db.client.send(
        new GetItemCommand({ TableName: db.connectionsTable, Key: { connectionId: { S: connectionId } } }),
      );
      expect(item.Item?.rateCount).toEqual({ N: '2' });
    } finally {
      client.destroy();
    }
  });

  it('keeps the counter on the connection record, which stays readable, and counts connections apart', async () => {
    const rate = limiter();
    await rate.admit(connectionId, T0);
    const item = await db.client.send(
      new GetItemCommand({ TableName: db.connectionsTable, Key: { connectionId: { S: connectionId } } }),
    );
    expect(item.Item).toMatchObject({ rateWindow: { N: String(T0 / 10_000) }, rateCount: { N: '1' } });
    expect(await connections.get(connectionId)).toMatchObject({ connectionId, agentId: 'agent' });

    const other = `${connectionId}-other`;
    await connections.put({ connectionId: other, agentId: 'agent', connectedAt: T0, ttl: connectionTtl(T0) });
    for (let index = 0; index < limit.requests; index += 1) await rate.admit(connectionId, T0);
    expect((await rate.admit(connectionId, T0)).admitted).toBe(false);
    expect((await rate.admit(other, T0)).admitted).toBe(true);
  });

  it('admits a connection without a record and creates no item for it (no stray item without a TTL)', async () => {
    const rate = limiter();
    for (let index = 0; index < limit.requests + 2; index += 1) {
      expect(await rate.admit('never-connected', T0)).toEqual({ admitted: true });
    }
    const scan = await db.client.send(new ScanCommand({ TableName: db.connectionsTable }));
    expect(scan.Items?.some((item) => item.connectionId?.S === 'never-connected')).toBe(false);
  });

  it('refuses a limit that could admit nothing', () => {
    expect(
      () =>
        new DynamoDbConnectionRateLimiter({
          client: db.client,
          tableName: 't',
          limit: { requests: 0, intervalMs: 1 },
        }),
    ).toThrow(/at least 1 request/);
  });
});
