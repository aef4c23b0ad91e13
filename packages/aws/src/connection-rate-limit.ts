// The per-connection rate limit's counter, on the connection's own item in the connections table: two number
// attributes (window number, frames counted in it), changed only by conditional UpdateItems, so every Lambda
// instance serving the connection counts against the same limit. No extra table, no extra item to expire:
// the counter goes when the connection's record does. The conditions require the record to exist, so an
// update never creates a stray item without a TTL.
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { rateWindow, type Admission, type RateLimit, type RequestRateLimiter } from '@hybrid-runner/core';
import { connectionsTableDefinition } from './connection-store.ts';

/** Attribute names on the connection item. */
export const RATE_LIMIT_ATTRIBUTES = { window: 'rateWindow', count: 'rateCount' } as const;

function conditionFailed(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException'
  );
}

export interface DynamoDbConnectionRateLimiterOptions {
  client: DynamoDBClient;
  tableName: string;
  limit: RateLimit;
}

export class DynamoDbConnectionRateLimiter implements RequestRateLimiter {
  readonly limit: RateLimit;
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: DynamoDbConnectionRateLimiterOptions) {
    if (!(options.limit.requests >= 1) || !(options.limit.intervalMs >= 1)) {
      throw new Error('A rate limit needs at least 1 request per interval and an interval of at least 1 ms.');
    }
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.limit = options.limit;
  }

  async admit(connectionId: string, nowMs: number): Promise<Admission> {
    const { index, endsAtMs } = rateWindow(nowMs, this.limit.intervalMs);
    // Usually one write: count in the current window. Otherwise one read says why: a full window
    // (throttled, two calls in all, which matters under a flood), a new one to start, or no record.
    if (await this.#countInWindow(connectionId, index)) return { admitted: true };
    const window = await this.#window(connectionId);
    // A connection without a record (closed, or never stored) is not ours to limit; it is answered as before.
    if (window === 'missing') return { admitted: true };
    const throttled: Admission = { admitted: false, retryAfterMs: endsAtMs - nowMs };
    if (window.index !== undefined && window.index >= index) {
      // The window is current but has room: another frame started it between our write and this read
      // (two first frames at once), so count in it.
      if (window.index === index && (window.count ?? 0) < this.limit.requests) {
        return (await this.#countInWindow(connectionId, index)) ? { admitted: true } : throttled;
      }
      return throttled;
    }
    if (await this.#startWindow(connectionId, index)) return { admitted: true };
    // Another instance started the window first: count in it.
    return (await this.#countInWindow(connectionId, index)) ? { admitted: true } : throttled;
  }

  #key(connectionId: string) {
    return { [connectionsTableDefinition.partitionKey]: { S: connectionId } };
  }

  async #update(
    input: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], 'TableName' | 'Key'>,
    connectionId: string,
  ) {
    try {
      await this.#client.send(
        new UpdateItemCommand({ TableName: this.#tableName, Key: this.#key(connectionId), ...input }),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  #countInWindow(connectionId: string, index: number): Promise<boolean> {
    return this.#update(
      {
        UpdateExpression: 'ADD #count :one',
        ConditionExpression: 'attribute_exists(#id) AND #window = :window AND #count < :max',
        ExpressionAttributeNames: {
          '#id': connectionsTableDefinition.partitionKey,
          '#window': RATE_LIMIT_ATTRIBUTES.window,
          '#count': RATE_LIMIT_ATTRIBUTES.count,
        },
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':window': { N: String(index) },
          ':max': { N: String(this.limit.requests) },
        },
      },
      connectionId,
    );
  }

  #startWindow(connectionId: string, index: number): Promise<boolean> {
    return this.#update(
      {
        UpdateExpression: 'SET #window = :window, #count = :one',
        ConditionExpression: 'attribute_exists(#id) AND (attribute_not_exists(#window) OR #window < :window)',
        ExpressionAttributeNames: {
          '#id': connectionsTableDefinition.partitionKey,
          '#window': RATE_LIMIT_ATTRIBUTES.window,
          '#count': RATE_LIMIT_ATTRIBUTES.count,
        },
        ExpressionAttributeValues: { ':one': { N: '1' }, ':window': { N: String(index) } },
      },
      connectionId,
    );
  }

  /** The window number and count on the record (undefined when none was started); 'missing' without a record. */
  async #window(
    connectionId: string,
  ): Promise<{ index: number | undefined; count: number | undefined } | 'missing'> {
    const result = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: this.#key(connectionId),
        ConsistentRead: true,
        ProjectionExpression: '#id, #window, #count',
        ExpressionAttributeNames: {
          '#id': connectionsTableDefinition.partitionKey,
          '#window': RATE_LIMIT_ATTRIBUTES.window,
          '#count': RATE_LIMIT_ATTRIBUTES.count,
        },
      }),
    );
    if (!result.Item) return 'missing';
    const number = (name: string) => {
      const value = result.Item?.[name]?.N;
      return value === undefined ? undefined : Number(value);
    };
    return { index: number(RATE_LIMIT_ATTRIBUTES.window), count: number(RATE_LIMIT_ATTRIBUTES.count) };
  }
}
