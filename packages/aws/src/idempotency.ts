// Request-id idempotency and small runner state (the reconcile cursor) in one DynamoDB table, with
// conditional writes so concurrent duplicates of a request execute once.
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ClaimOptions, CursorStore, IdempotencyClaim, IdempotencyStore } from '@hybrid-runner/core';

/** The table's shape, for infrastructure and for tests that create it. */
export const runnerStateTableDefinition = {
  partitionKey: 'pk',
  ttlAttribute: 'expiresAt',
} as const;

interface IdempotencyItem {
  pk: string;
  status: 'IN_PROGRESS' | 'COMPLETED';
  fingerprint: string;
  response?: string;
  /** Epoch seconds (DynamoDB TTL). */
  expiresAt: number;
  /** Epoch ms after which an IN_PROGRESS claim is considered abandoned (its Lambda died). */
  lockExpiresAt: number;
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException'
  );
}

function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export class DynamoDbIdempotencyStore implements IdempotencyStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBClient; tableName: string }) {
    this.#documents = documentClient(options.client);
    this.#tableName = options.tableName;
  }

  async claim(key: string, fingerprint: string, options: ClaimOptions): Promise<IdempotencyClaim> {
    const pk = `request#${key}`;
    // Two rounds: the competing record may vanish (released) between our failed put and our read.
    for (let round = 0; round < 3; round++) {
      const item: IdempotencyItem = {
        pk,
        status: 'IN_PROGRESS',
        fingerprint,
        expiresAt: Math.floor(options.nowMs / 1000) + options.retainSeconds,
        lockExpiresAt: options.nowMs + options.lockMs,
      };
      try {
        await this.#documents.send(
          new PutCommand({
            TableName: this.#tableName,
            Item: item,
            ConditionExpression:
              'attribute_not_exists(pk) OR expiresAt <= :nowSeconds OR (#status = :inProgress AND lockExpiresAt <= :nowMs)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':nowSeconds': Math.floor(options.nowMs / 1000),
              ':nowMs': options.nowMs,
              ':inProgress': 'IN_PROGRESS',
            },
          }),
        );
        return { status: 'claimed' };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const existing = await this.#documents.send(
        new GetCommand({ TableName: this.#tableName, Key: { pk }, ConsistentRead: true }),
      );
      const record = existing.Item as IdempotencyItem | undefined;
      if (!record) continue;
      if (record.status === 'COMPLETED' && record.response !== undefined) {
        return { status: 'completed', fingerprint: record.fingerprint, response: record.response };
      }
      return { status: 'in_progress', fingerprint: record.fingerprint };
    }
    return { status: 'in_progress', fingerprint };
  }

  async complete(
    key: string,
    response: string,
    options: { nowMs: number; retainSeconds: number },
  ): Promise<void> {
    await this.#documents.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: { pk: `request#${key}` },
        UpdateExpression: 'SET #status = :completed, #response = :response, expiresAt = :expiresAt',
        ExpressionAttributeNames: { '#status': 'status', '#response': 'response' },
        ExpressionAttributeValues: {
          ':completed': 'COMPLETED',
          ':response': response,
          ':expiresAt': Math.floor(options.nowMs / 1000) + options.retainSeconds,
        },
      }),
    );
  }

  async release(key: string): Promise<void> {
    try {
      await this.#documents.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: { pk: `request#${key}` },
          ConditionExpression: '#status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS' },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}

/** Named cursors (for example the reconcile loop's Kubernetes continue token) in the runner-state table. */
export class DynamoDbCursorStore implements CursorStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => number;

  constructor(options: { client: DynamoDBClient; tableName: string; now?: () => number }) {
    this.#documents = documentClient(options.client);
    this.#tableName = options.tableName;
    this.#now = options.now ?? Date.now;
  }

  async get(name: string): Promise<string | undefined> {
    const result = await this.#documents.send(
      new GetCommand({ TableName: this.#tableName, Key: { pk: `cursor#${name}` }, ConsistentRead: true }),
    );
    const item = result.Item as { value?: string; expiresAt?: number } | undefined;
    if (!item?.value || (item.expiresAt ?? 0) * 1000 <= this.#now()) return undefined;
    return item.value;
  }

  async set(name: string, value: string | undefined, options: { retainSeconds: number }): Promise<void> {
    if (value === undefined) {
      await this.#documents.send(
        new DeleteCommand({ TableName: this.#tableName, Key: { pk: `cursor#${name}` } }),
      );
      return;
    }
    await this.#documents.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          pk: `cursor#${name}`,
          value,
          expiresAt: Math.floor(this.#now() / 1000) + options.retainSeconds,
        },
      }),
    );
  }
}
