// DynamoDB for the local stage: dynalite (the DynamoDB wire protocol, in memory) on 127.0.0.1 with the
// runner's two tables, so the real SDK and the real stores run unchanged. It is not DynamoDB: no TTL
// deletion (the stores check expiry themselves), no IAM, no capacity limits.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { connectionsTableDefinition, runnerStateTableDefinition } from '@hybrid-runner/aws';

const require = createRequire(import.meta.url);
// dynalite is CommonJS without types.
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export interface LocalDynamoDbOptions {
  /** Default: a free port. */
  port?: number;
  connectionsTable?: string;
  stateTable?: string;
  /** Keys the SDK signs with; dynalite accepts any, the stage passes its placeholder keys. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
}

export interface LocalDynamoDb {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_DYNAMODB. */
  endpoint: string;
  connectionsTable: string;
  stateTable: string;
  close(): Promise<void>;
}

export const LOCAL_TABLES = {
  connections: 'hybrid-runner-connections',
  state: 'hybrid-runner-state',
} as const;

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

/** Starts dynalite in memory and creates the connections and runner-state tables. */
export async function startLocalDynamoDb(options: LocalDynamoDbOptions): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  const connectionsTable = options.connectionsTable ?? LOCAL_TABLES.connections;
  const stateTable = options.stateTable ?? LOCAL_TABLES.state;
  const client = new DynamoDBClient({ endpoint, region: options.region, credentials: options.credentials });
  try {
    await createTable(client, connectionsTable, connectionsTableDefinition.partitionKey);
    await createTable(client, stateTable, runnerStateTableDefinition.partitionKey);
  } catch (error) {
    await close();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, connectionsTable, stateTable, close };
}
