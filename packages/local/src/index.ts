export * from './apigateway/memory-stores.ts';
