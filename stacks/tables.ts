// The runner's DynamoDB tables: on demand, TTL-expired items, point-in-time recovery. Shapes come from the
// adapters that use them.
import { connectionsTableDefinition, runnerStateTableDefinition } from '@hybrid-runner/aws';

export interface RunnerTables {
  connections: aws.dynamodb.Table;
  state: aws.dynamodb.Table;
}

export function createTables(): RunnerTables {
  const connections = new aws.dynamodb.Table('Connections', {
    billingMode: 'PAY_PER_REQUEST',
    hashKey: connectionsTableDefinition.partitionKey,
    attributes: [{ name: connectionsTableDefinition.partitionKey, type: 'S' }],
    ttl: { attributeName: connectionsTableDefinition.ttlAttribute, enabled: true },
    pointInTimeRecovery: { enabled: true },
  });
  const state = new aws.dynamodb.Table('RunnerState', {
    billingMode: 'PAY_PER_REQUEST',
    hashKey: runnerStateTableDefinition.partitionKey,
    attributes: [{ name: runnerStateTableDefinition.partitionKey, type: 'S' }],
    ttl: { attributeName: runnerStateTableDefinition.ttlAttribute, enabled: true },
    pointInTimeRecovery: { enabled: true },
  });
  return { connections, state };
}
