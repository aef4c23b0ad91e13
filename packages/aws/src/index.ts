export * from './eks/token.ts';
export * from './eks/cluster-info.ts';
export * from './secret-store.ts';
export * from './connection-store.ts';
export * from './sender.ts';
export * from './idempotency.ts';
export * from './runner-token.ts';
export * from './ecr.ts';
