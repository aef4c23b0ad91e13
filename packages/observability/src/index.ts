export * from './catalog.ts';
export * from './metrics.ts';
export * from './redaction.ts';
export * from './logger.ts';
export * from './tracing.ts';
export * from './alarms.ts';
export * from './dashboard.ts';
export * from './recorders.ts';
