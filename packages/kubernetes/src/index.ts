export * from './cluster-config.ts';
export * from './cluster.ts';
export * from './errors.ts';
export * from './retry.ts';
export * from './secret-store.ts';
export * from './transport.ts';
export * from './rbac.ts';
