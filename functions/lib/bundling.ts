// How each function is bundled, in one place: stacks/functions.ts hands these options to SST, and the bundle
// benchmark and the bundle-budget test build with exactly the same ones, so they cannot drift apart.
//
// $connect and $disconnect take the AWS SDK (and the Smithy packages it is built on) from the Lambda
// nodejs24.x runtime instead of bundling it: a bundled DynamoDB client alone is over 500 KiB minified, and
// these two functions must stay under 300 KiB and 150 ms cold import. They use only client packages the
// runtime ships (client-dynamodb, client-secrets-manager; no lib-dynamodb). The other functions keep the
// SDK bundled: a version we chose and tested, and a faster cold start than loading the runtime's copy.

/** The functions of the stack (keys of stacks/functions.ts's HANDLERS). */
export type BundledFunction =
  'connect' | 'disconnect' | 'message' | 'heartbeat' | 'registryRefresh' | 'keeper';

/** Packages the Lambda runtime provides: left out of the bundle, resolved at run time. */
export const RUNTIME_PROVIDED_PACKAGES: readonly string[] = ['@aws-sdk/*', '@smithy/*'];

/** The functions that load the runtime's AWS SDK instead of a bundled one. */
export const RUNTIME_SDK_FUNCTIONS: ReadonlySet<BundledFunction> = new Set(['connect', 'disconnect']);

/** The size budget of the runtime-SDK functions' bundles (issue 4). */
export const CONNECTION_BUNDLE_BUDGET_BYTES = 300 * 1024;
/** The cold import budget of the runtime-SDK functions on the reference machine (issue 4; measured, not tested). */
export const CONNECTION_COLD_IMPORT_BUDGET_MS = 150;

/** The esbuild options SST's `nodejs.esbuild` takes for a function (the subset we set). */
export interface FunctionEsbuildOptions {
  external: string[];
}

export function esbuildOptionsFor(name: BundledFunction): FunctionEsbuildOptions {
  return { external: RUNTIME_SDK_FUNCTIONS.has(name) ? [...RUNTIME_PROVIDED_PACKAGES] : [] };
}

/**
 * What SST 4 does itself when it builds a Node.js function (ESM, minified, bundled, platform node, the
 * runtime's Node version, and a `require` for CommonJS dependencies), for builds outside SST (benchmark, test).
 */
export const SST_BUILD_OPTIONS = {
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire as topLevelCreateRequire } from 'module';\nconst require = topLevelCreateRequire(import.meta.url);",
  },
} as const;
