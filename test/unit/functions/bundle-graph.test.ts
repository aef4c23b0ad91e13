// The connection functions' module graphs, as esbuild bundles them for Lambda: $connect and $disconnect
// must not pull in the Kubernetes client (cold start and bundle size), $disconnect not even the token
// check, and neither the management API client. Sizes are measured in bench/bridge.bench.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as esbuild from 'esbuild';

const REPO = join(import.meta.dirname, '../../..');

async function bundledInputs(entry: string): Promise<string[]> {
  const result = await esbuild.build({
    entryPoints: [join(REPO, entry)],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
}

const uses = (inputs: string[], fragment: string) => inputs.some((input) => input.includes(fragment));

describe('bridge function module graphs', () => {
  it('$connect bundles the token check but no Kubernetes client and no management API', async () => {
    const inputs = await bundledInputs('functions/bridge/connect.ts');
    expect(uses(inputs, 'node_modules/@kubernetes/client-node/')).toBe(false);
    expect(uses(inputs, 'packages/kubernetes/')).toBe(false);
    expect(uses(inputs, 'functions/lib/runner-context.ts')).toBe(false);
    expect(uses(inputs, 'functions/lib/senders.ts')).toBe(false);
    expect(uses(inputs, 'functions/lib/authorizer.ts')).toBe(true);
  });

  it('$disconnect bundles neither the Kubernetes client nor the token check', async () => {
    const inputs = await bundledInputs('functions/bridge/disconnect.ts');
    expect(uses(inputs, 'node_modules/@kubernetes/client-node/')).toBe(false);
    expect(uses(inputs, 'functions/lib/authorizer.ts')).toBe(false);
    // jose still comes in through @hybrid-runner/aws's index until the workspace packages declare
    // "sideEffects": false (see the bench's bundle table); then esbuild drops it.
  });

  it('$default does bundle the Kubernetes client (it is the one that reaches the cluster)', async () => {
    const inputs = await bundledInputs('functions/bridge/message.ts');
    expect(uses(inputs, 'node_modules/@kubernetes/client-node/')).toBe(true);
  });
}, 60_000);
