export { buildProgram, main } from './main.ts';
export * from './exit-codes.ts';
export * from './stage-file.ts';
export { SANDBOX_OUTCOMES, SANDBOX_SCENARIOS_PATH } from './commands/sandbox.ts';
export type { SandboxOutcome, SandboxScenarioRequest } from './commands/sandbox.ts';
