export * from './apigateway/memory-stores.ts';
export * from './apigateway/gateway.ts';
