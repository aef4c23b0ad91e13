export * from './crd-schema.ts';
