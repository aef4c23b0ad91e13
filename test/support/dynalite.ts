// A real DynamoDB wire protocol for tests: dynalite (in-memory) on a free port, with the runner's tables
// created. The SDK talks to it over HTTP with fake static credentials. It does not enforce TTL deletion or
// IAM; the stores check expiry themselves, so that gap does not hide bugs.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { connectionsTableDefinition, runnerStateTableDefinition } from '@hybrid-runner/aws';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export const TEST_CREDENTIALS = { accessKeyId: 'test-access-key', secretAccessKey: 'test-secret-key' };

export interface TestDynamoDb {
  endpoint: string;
  client: DynamoDBClient;
  connectionsTable: string;
  stateTable: string;
  /** A fresh client with its own connection pool (for tests that need several). */
  newClient(): DynamoDBClient;
  close(): Promise<void>;
}

async function createTable(client: DynamoDBClient, name: string, partitionKey: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 }, { TableName: name });
}

export async function startDynalite(
  options: { connectionsTable?: string; stateTable?: string } = {},
): Promise<TestDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const newClient = () =>
    new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials: TEST_CREDENTIALS, maxAttempts: 3 });
  const client = newClient();
  const connectionsTable = options.connectionsTable ?? 'bridge-connections';
  const stateTable = options.stateTable ?? 'runner-state';
  await createTable(client, connectionsTable, connectionsTableDefinition.partitionKey);
  await createTable(client, stateTable, runnerStateTableDefinition.partitionKey);
  return {
    endpoint,
    client,
    connectionsTable,
    stateTable,
    newClient,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
