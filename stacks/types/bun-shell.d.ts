// SST's config types name Bun's `Shell` (for $shell in console commands) only as a type. Bun's own types
// redeclare Node's globals (URL, WebSocket) incompatibly with @types/node 24, so tsconfig.stacks.json maps
// "bun" here instead: stacks never use the Bun shell.
export type Shell = (strings: TemplateStringsArray, ...values: unknown[]) => Promise<unknown>;
