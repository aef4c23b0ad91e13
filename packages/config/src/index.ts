export * from './schema.ts';
export * from './placement.ts';
export * from './log-archive.ts';
export * from './errors.ts';
export * from './load.ts';
export * from './settings.ts';
export * from './helm-import.ts';
export * from './function-env.ts';
