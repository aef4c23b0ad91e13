// The bridge functions' bundles, built exactly as the stack has SST build them (functions/lib/bundling.ts):
// $connect and $disconnect must not pull in the Kubernetes client and must stay within the 300 KiB budget
// (with the AWS SDK taken from the Lambda runtime); $disconnect not even the token check. Sizes and cold
// import times against an unsplit bundle are measured in bench/bridge.bench.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as esbuild from 'esbuild';
import {
  CONNECTION_BUNDLE_BUDGET_BYTES,
  RUNTIME_SDK_FUNCTIONS,
  SST_BUILD_OPTIONS,
  esbuildOptionsFor,
  type BundledFunction,
} from '../../../functions/lib/bundling.ts';

const REPO = join(import.meta.dirname, '../../..');

async function bundle(name: BundledFunction, entry: string): Promise<{ inputs: string[]; bytes: number }> {
  const result = await esbuild.build({
    ...SST_BUILD_OPTIONS,
    mainFields: [...SST_BUILD_OPTIONS.mainFields],
    ...esbuildOptionsFor(name),
    entryPoints: [join(REPO, entry)],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  const meta = Object.values(result.metafile.outputs)[0];
  if (!output || !meta) throw new Error(`esbuild produced no bundle for ${entry}`);
  // What ends up in the bundle: modules read but tree-shaken away contribute no bytes.
  const inputs = Object.entries(meta.inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path);
  return { inputs, bytes: output.contents.byteLength };
}

const uses = (inputs: string[], fragment: string) => inputs.some((input) => input.includes(fragment));

describe('bridge function bundles', () => {
  it('only $connect and $disconnect take the SDK from the runtime', () => {
    expect([...RUNTIME_SDK_FUNCTIONS].sort()).toEqual(['connect', 'disconnect']);
    expect(esbuildOptionsFor('message').external).toEqual([]);
  });

  it('$connect bundles the token check, no Kubernetes client, no management API, within budget', async () => {
    const { inputs, bytes } = await bundle('connect', 'functions/bridge/connect.ts');
    expect(uses(inputs, 'node_modules/@kubernetes/client-node/')).toBe(false);
    expect(uses(inputs, 'packages/kubernetes/')).toBe(false);
    expect(uses(inputs, 'functions/lib/runner-context.ts')).toBe(false);
    expect(uses(inputs, 'functions/lib/senders.ts')).toBe(false);
    expect(uses(inputs, 'functions/lib/authorizer.ts')).toBe(true);
    // The SDK is the runtime's: none of it may be bundled (an import would be a copy of another version).
    expect(uses(inputs, 'node_modules/@aws-sdk/')).toBe(false);
    expect(uses(inputs, 'node_modules/@smithy/')).toBe(false);
    // Metrics yes (handshakes are counted), tracing no: it would bring the X-Ray SDK.
    expect(uses(inputs, 'node_modules/@aws-lambda-powertools/metrics/')).toBe(true);
    expect(uses(inputs, 'node_modules/@aws-lambda-powertools/tracer/')).toBe(false);
    expect(uses(inputs, 'node_modules/aws-xray-sdk-core/')).toBe(false);
    expect(bytes).toBeLessThanOrEqual(CONNECTION_BUNDLE_BUDGET_BYTES);
  });

  it('$disconnect bundles neither the Kubernetes client nor the token check, within budget', async () => {
    const { inputs, bytes } = await bundle('disconnect', 'functions/bridge/disconnect.ts');
    expect(uses(inputs, 'node_modules/@kubernetes/client-node/')).toBe(false);
    expect(uses(inputs, 'functions/lib/authorizer.ts')).toBe(false);
    // "sideEffects": false in the workspace packages lets esbuild drop @hybrid-runner/aws's JWT verifier.
    expect(uses(inputs, 'node_modules/jose/')).toBe(false);
    expect(uses(inputs, 'node_modules/@aws-sdk/')).toBe(false);
    expect(bytes).toBeLessThanOrEqual(CONNECTION_BUNDLE_BUDGET_BYTES);
  });

  it('$default does bundle the Kubernetes client and its own SDK', async () => {
    const { inputs, bytes } = await bundle('message', 'functions/bridge/message.ts');
    expect(uses(inputs, 'node_modules/@kubernetes/client-node/')).toBe(true);
    expect(uses(inputs, 'node_modules/@aws-sdk/client-dynamodb/')).toBe(true);
    expect(uses(inputs, 'node_modules/@aws-lambda-powertools/tracer/')).toBe(true);
    expect(bytes).toBeGreaterThan(CONNECTION_BUNDLE_BUDGET_BYTES);
  });

  it('the outbound keeper bundles its WebSocket client and the Kubernetes client, but not the management API', async () => {
    const { inputs } = await bundle('keeper', 'functions/bridge/keeper.ts');
    expect(esbuildOptionsFor('keeper').external).toEqual([]);
    expect(uses(inputs, 'node_modules/ws/')).toBe(true);
    expect(uses(inputs, 'node_modules/@kubernetes/client-node/')).toBe(true);
    expect(uses(inputs, 'functions/lib/bridge-request.ts')).toBe(true);
    // It answers on its own socket: no PostToConnection client (and no IAM grant for one).
    expect(uses(inputs, 'node_modules/@aws-sdk/client-apigatewaymanagementapi/')).toBe(false);
    expect(uses(inputs, 'functions/lib/senders.ts')).toBe(false);
  });
}, 60_000);
