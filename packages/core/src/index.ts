export * from './ports.ts';
export * from './errors.ts';
export * from './settings.ts';
export * from './secret-refs.ts';
