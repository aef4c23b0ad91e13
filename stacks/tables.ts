// The runner's DynamoDB tables: on demand, TTL-expired items, point-in-time recovery. Shapes come from the
// adapters that use them. The connections table belongs to the inbound bridge (API Gateway's connections);
// the runner-state table (idempotency, cursor, the outbound keeper's lease) to both modes.
import { connectionsTableDefinition, runnerStateTableDefinition } from '@hybrid-runner/aws';

export interface RunnerTables {
  connections: aws.dynamodb.Table;
  state: aws.dynamodb.Table;
}

export function createConnectionsTable(): aws.dynamodb.Table {
  return new aws.dynamodb.Table('Connections', {
    billingMode: 'PAY_PER_REQUEST',
    hashKey: connectionsTableDefinition.partitionKey,
    attributes: [{ name: connectionsTableDefinition.partitionKey, type: 'S' }],
    ttl: { attributeName: connectionsTableDefinition.ttlAttribute, enabled: true },
    pointInTimeRecovery: { enabled: true },
  });
}

export function createStateTable(): aws.dynamodb.Table {
  return new aws.dynamodb.Table('RunnerState', {
    billingMode: 'PAY_PER_REQUEST',
    hashKey: runnerStateTableDefinition.partitionKey,
    attributes: [{ name: runnerStateTableDefinition.partitionKey, type: 'S' }],
    ttl: { attributeName: runnerStateTableDefinition.ttlAttribute, enabled: true },
    pointInTimeRecovery: { enabled: true },
  });
}

/** Both tables of an inbound stage. */
export function createTables(): RunnerTables {
  const connections = createConnectionsTable();
  const state = createStateTable();
  return { connections, state };
}
