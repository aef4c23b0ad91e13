// Open bridge connections in DynamoDB (one item per connection, TTL just over API Gateway's 2-hour limit).
// Only @aws-sdk/client-dynamodb, marshalled by hand (the record has five flat fields): $connect and
// $disconnect take the SDK from the Lambda runtime, which ships the clients but not lib-dynamodb.
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { ConnectionRecord, ConnectionStore } from '@hybrid-runner/core';

/** API Gateway closes every connection after 2 hours; the record outlives it by a margin, then expires. */
export const CONNECTION_TTL_SECONDS = 2 * 3600 + 15 * 60;

/** The table's shape, for infrastructure and for tests that create it. */
export const connectionsTableDefinition = {
  partitionKey: 'connectionId',
  ttlAttribute: 'ttl',
} as const;

export function connectionTtl(connectedAtMs: number): number {
  return Math.floor(connectedAtMs / 1000) + CONNECTION_TTL_SECONDS;
}

type Item = Record<string, AttributeValue>;

function toItem(record: ConnectionRecord): Item {
  return {
    connectionId: { S: record.connectionId },
    agentId: { S: record.agentId },
    connectedAt: { N: String(record.connectedAt) },
    ...(record.sourceIp !== undefined ? { sourceIp: { S: record.sourceIp } } : {}),
    ttl: { N: String(record.ttl) },
  };
}

/** The record an item holds, or undefined when it is not one of ours (missing or mistyped fields). */
function fromItem(item: Item): ConnectionRecord | undefined {
  const connectionId = item.connectionId?.S;
  const agentId = item.agentId?.S;
  const connectedAt = Number(item.connectedAt?.N);
  const ttl = Number(item.ttl?.N);
  if (
    connectionId === undefined ||
    agentId === undefined ||
    !Number.isFinite(connectedAt) ||
    !Number.isFinite(ttl)
  ) {
    return undefined;
  }
  const sourceIp = item.sourceIp?.S;
  return { connectionId, agentId, connectedAt, ...(sourceIp !== undefined ? { sourceIp } : {}), ttl };
}

/** The scan position is the last key, `{ connectionId }`, carried as an opaque string. */
function encodeCursor(key: Item | undefined): string | undefined {
  const connectionId = key?.connectionId?.S;
  return connectionId === undefined
    ? undefined
    : Buffer.from(JSON.stringify({ connectionId })).toString('base64url');
}

function decodeCursor(cursor: string | undefined): Item | undefined {
  if (!cursor) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const connectionId = (value as { connectionId?: unknown } | null)?.connectionId;
    if (typeof connectionId === 'string') return { connectionId: { S: connectionId } };
  } catch {
    // fall through: a corrupt cursor restarts the scan rather than failing the heartbeat
  }
  return undefined;
}

export interface DynamoDbConnectionStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Items per scan page. */
  pageSize?: number;
  now?: () => number;
}

export class DynamoDbConnectionStore implements ConnectionStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #pageSize: number;
  readonly #now: () => number;

  constructor(options: DynamoDbConnectionStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#pageSize = options.pageSize ?? 100;
    this.#now = options.now ?? Date.now;
  }

  async put(record: ConnectionRecord): Promise<void> {
    await this.#client.send(new PutItemCommand({ TableName: this.#tableName, Item: toItem(record) }));
  }

  async remove(connectionId: string): Promise<void> {
    await this.#client.send(
      new DeleteItemCommand({ TableName: this.#tableName, Key: { connectionId: { S: connectionId } } }),
    );
  }

  async get(connectionId: string): Promise<ConnectionRecord | undefined> {
    const result = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: { connectionId: { S: connectionId } },
        ConsistentRead: true,
      }),
    );
    const record = result.Item ? fromItem(result.Item) : undefined;
    return record && !this.#expired(record) ? record : undefined;
  }

  async list(cursor?: string): Promise<{ items: ConnectionRecord[]; cursor?: string }> {
    const result = await this.#client.send(
      new ScanCommand({
        TableName: this.#tableName,
        Limit: this.#pageSize,
        ExclusiveStartKey: decodeCursor(cursor),
        ConsistentRead: true,
      }),
    );
    // DynamoDB deletes expired items lazily (up to days later), so expiry is checked here too.
    const items = (result.Items ?? [])
      .map(fromItem)
      .filter((record): record is ConnectionRecord => record !== undefined && !this.#expired(record));
    const next = encodeCursor(result.LastEvaluatedKey);
    return next ? { items, cursor: next } : { items };
  }

  #expired(record: ConnectionRecord): boolean {
    return record.ttl * 1000 <= this.#now();
  }
}
