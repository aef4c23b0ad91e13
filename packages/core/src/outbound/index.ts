export * from './lease.ts';
export * from './keeper.ts';
