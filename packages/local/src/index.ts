export * from './apigateway/memory-stores.ts';
export * from './apigateway/gateway.ts';
export * from './dynamodb.ts';
export * from './scheduler.ts';
export * from './secrets-seed.ts';
export * from './sandbox-control.ts';
export * from './stage.ts';
