// A real DynamoDB wire protocol for tests: the local stage's dynalite (in-memory) on a free port, with the
// runner's tables created, plus SDK clients for the tests. It does not enforce TTL deletion or IAM; the
// stores check expiry themselves, so that gap does not hide bugs.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalDynamoDb } from '@hybrid-runner/local';

export const TEST_CREDENTIALS = { accessKeyId: 'test-access-key', secretAccessKey: 'test-secret-key' };
const REGION = 'eu-west-1';

export interface TestDynamoDb {
  endpoint: string;
  client: DynamoDBClient;
  connectionsTable: string;
  stateTable: string;
  /** A fresh client with its own connection pool (for tests that need several). */
  newClient(): DynamoDBClient;
  close(): Promise<void>;
}

export async function startDynalite(
  options: { connectionsTable?: string; stateTable?: string } = {},
): Promise<TestDynamoDb> {
  const local = await startLocalDynamoDb({
    connectionsTable: options.connectionsTable ?? 'bridge-connections',
    stateTable: options.stateTable ?? 'runner-state',
    credentials: TEST_CREDENTIALS,
    region: REGION,
  });
  const newClient = () =>
    new DynamoDBClient({
      endpoint: local.endpoint,
      region: REGION,
      credentials: TEST_CREDENTIALS,
      maxAttempts: 3,
    });
  const client = newClient();
  return {
    endpoint: local.endpoint,
    client,
    connectionsTable: local.connectionsTable,
    stateTable: local.stateTable,
    newClient,
    close: async () => {
      client.destroy();
      await local.close();
    },
  };
}
