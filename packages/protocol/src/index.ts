export * from './constants.ts';
export * from './outbound.ts';
export * from './schemas.ts';
export * from './messages.ts';
export * from './parse.ts';
export * from './client.ts';
export * from './asyncapi.ts';
