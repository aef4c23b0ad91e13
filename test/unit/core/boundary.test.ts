// packages/core is the pure domain: it must not import AWS, Kubernetes, Lambda or adapter modules.
// This test lints real source text with the project's own rule, so it fails if the rule is removed
// or weakened, and it scans core for offending imports.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const eslint = new ESLint({ cwd: root });

async function lintAsCore(source: string) {
  const [result] = await eslint.lintText(source, { filePath: join(root, 'packages/core/src/__probe__.ts') });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports');
}

describe('core boundary', () => {
  it.each([
    ["import { DynamoDBClient } from '@aws-sdk/client-dynamodb';", 'AWS'],
    ["import { SignatureV4 } from '@smithy/signature-v4';", 'AWS'],
    ["import { KubeConfig } from '@kubernetes/client-node';", 'Kubernetes'],
    ["import type { Handler } from 'aws-lambda';", 'Lambda'],
    ["import { x } from '@hybrid-runner/aws';", 'adapter'],
    ["import { x } from '../../kubernetes/src/client.ts';", 'adapter'],
  ])('rejects %s', async (source, what) => {
    const messages = await lintAsCore(`${source}\nexport const y = 1;\n`);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.message).toContain(what);
  });

  it('allows the protocol package and node built-ins', async () => {
    expect(
      await lintAsCore(
        "import { OPERATIONS } from '@hybrid-runner/protocol';\nimport { createHash } from 'node:crypto';\nexport const y = [OPERATIONS, createHash];\n",
      ),
    ).toEqual([]);
  });

  it('core source imports nothing forbidden', () => {
    const files = readdirSync(join(root, 'packages/core/src'), { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts'),
    );
    expect(files.length).toBeGreaterThan(0);
    const offenders = files.filter((file) =>
      /from\s+['"](@aws-sdk\/|@smithy\/|@kubernetes\/|aws-lambda['"]|@hybrid-runner\/(aws|kubernetes|k8s-emulator|local|cli|config)['"])/.test(
        readFileSync(join(root, 'packages/core/src', file), 'utf8'),
      ),
    );
    expect(offenders).toEqual([]);
  });
});
