// Open bridge connections in DynamoDB (one item per connection, TTL just over API Gateway's 2-hour limit).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
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

function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
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
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #pageSize: number;
  readonly #now: () => number;

  constructor(options: DynamoDbConnectionStoreOptions) {
    this.#documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#tableName = options.tableName;
    this.#pageSize = options.pageSize ?? 100;
    this.#now = options.now ?? Date.now;
  }

  async put(record: ConnectionRecord): Promise<void> {
    await this.#documents.send(new PutCommand({ TableName: this.#tableName, Item: { ...record } }));
  }

  async remove(connectionId: string): Promise<void> {
    await this.#documents.send(new DeleteCommand({ TableName: this.#tableName, Key: { connectionId } }));
  }

  async get(connectionId: string): Promise<ConnectionRecord | undefined> {
    const result = await this.#documents.send(
      new GetCommand({ TableName: this.#tableName, Key: { connectionId }, ConsistentRead: true }),
    );
    const record = result.Item as ConnectionRecord | undefined;
    return record && !this.#expired(record) ? record : undefined;
  }

  async list(cursor?: string): Promise<{ items: ConnectionRecord[]; cursor?: string }> {
    const result = await this.#documents.send(
      new ScanCommand({
        TableName: this.#tableName,
        Limit: this.#pageSize,
        ExclusiveStartKey: decodeCursor(cursor),
        ConsistentRead: true,
      }),
    );
    // DynamoDB deletes expired items lazily (up to days later), so expiry is checked here too.
    const items = ((result.Items ?? []) as ConnectionRecord[]).filter((record) => !this.#expired(record));
    const next = encodeCursor(result.LastEvaluatedKey);
    return next ? { items, cursor: next } : { items };
  }

  #expired(record: ConnectionRecord): boolean {
    return record.ttl * 1000 <= this.#now();
  }
}
