import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { connectionsTableDefinition, runnerStateTableDefinition } from '@hybrid-runner/aws';
import { LOCAL_TABLES, startLocalDynamoDb } from '@hybrid-runner/local';

const credentials = { accessKeyId: 'AKIALOCALTEST0000001', secretAccessKey: 'local' };

describe('startLocalDynamoDb (dynalite in memory)', () => {
  it('serves the runner tables with their keys over the DynamoDB wire protocol, and closes', async () => {
    const db = await startLocalDynamoDb({ region: 'eu-west-1', credentials });
    const client = new DynamoDBClient({ endpoint: db.endpoint, region: 'eu-west-1', credentials });
    try {
      expect([db.connectionsTable, db.stateTable]).toEqual([LOCAL_TABLES.connections, LOCAL_TABLES.state]);
      const connections = await client.send(new DescribeTableCommand({ TableName: db.connectionsTable }));
      expect(connections.Table?.KeySchema).toEqual([
        { AttributeName: connectionsTableDefinition.partitionKey, KeyType: 'HASH' },
      ]);
      const state = await client.send(new DescribeTableCommand({ TableName: db.stateTable }));
      expect(state.Table?.KeySchema).toEqual([
        { AttributeName: runnerStateTableDefinition.partitionKey, KeyType: 'HASH' },
      ]);
    } finally {
      client.destroy();
      await db.close();
    }
    const after = new DynamoDBClient({
      endpoint: db.endpoint,
      region: 'eu-west-1',
      credentials,
      maxAttempts: 1,
    });
    await expect(after.send(new DescribeTableCommand({ TableName: db.stateTable }))).rejects.toThrow();
    after.destroy();
  });
});
