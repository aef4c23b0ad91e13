export * from './ports.ts';
export * from './errors.ts';
export * from './settings.ts';
