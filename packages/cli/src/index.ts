export { buildProgram, main } from './main.ts';
export * from './exit-codes.ts';
export * from './stage-file.ts';
