// The outbound keeper's lease in the runner-state table: one item, written only with conditions on its
// generation, so of two keepers started at once exactly one holds the bridge.
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { KeeperLease, KeeperLeaseStore } from '@hybrid-runner/core';

/** The lease item's key in the runner-state table (beside `request#…` and `cursor#…`). */
export const KEEPER_LEASE_KEY = 'keeper#lease';

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException'
  );
}

export class DynamoDbKeeperLeaseStore implements KeeperLeaseStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBClient; tableName: string }) {
    this.#documents = DynamoDBDocumentClient.from(options.client);
    this.#tableName = options.tableName;
  }

  async read(): Promise<KeeperLease | undefined> {
    const result = await this.#documents.send(
      new GetCommand({ TableName: this.#tableName, Key: { pk: KEEPER_LEASE_KEY }, ConsistentRead: true }),
    );
    const item = result.Item as (KeeperLease & { pk: string }) | undefined;
    if (!item) return undefined;
    const { generation, keeperId, state, leaveBy, renewedAt } = item;
    return { generation, keeperId, state, leaveBy, renewedAt };
  }

  async claim(expected: number | undefined, next: KeeperLease): Promise<boolean> {
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { pk: KEEPER_LEASE_KEY, ...next },
          ...(expected === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'generation = :expected',
                ExpressionAttributeValues: { ':expected': expected },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async renew(generation: number, patch: Pick<KeeperLease, 'state' | 'renewedAt'>): Promise<boolean> {
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { pk: KEEPER_LEASE_KEY },
          UpdateExpression: 'SET #state = :state, renewedAt = :renewedAt',
          ConditionExpression: 'generation = :generation',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':state': patch.state,
            ':renewedAt': patch.renewedAt,
            ':generation': generation,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
