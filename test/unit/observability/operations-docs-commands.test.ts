// Commands docs/operations.md gives an operator at 3 a.m. must work as pasted. AWS CLI v2 reads
// `aws lambda invoke --payload` as base64 unless told otherwise, so a JSON payload needs
// `--cli-binary-format raw-in-base64-out`; and the manual trigger it sends is one the function accepts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const DOC = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
const REFRESH_FUNCTION = readFileSync(join(ROOT, 'functions/schedule/ecr-refresh.ts'), 'utf8');

describe('docs/operations.md commands', () => {
  const invocations = [...DOC.matchAll(/`(aws lambda invoke [^`]*)`/g)].map((match) => match[1]!);

  it('gives the aws lambda invoke a JSON payload in a form AWS CLI v2 accepts', () => {
    expect(invocations.length).toBeGreaterThan(0);
    for (const command of invocations.filter((line) => /--payload '\{/.test(line))) {
      expect(command).toContain('--cli-binary-format raw-in-base64-out');
    }
  });

  it('sends a trigger the registry refresh function knows', () => {
    const triggers = invocations.flatMap((line) =>
      [...line.matchAll(/"trigger":"(\w+)"/g)].map((m) => m[1]!),
    );
    expect(triggers.length).toBeGreaterThan(0);
    const known = /const TRIGGERS[^=]*=\s*\[([^\]]*)\]/.exec(REFRESH_FUNCTION)?.[1] ?? '';
    for (const trigger of triggers) expect(known).toContain(`'${trigger}'`);
  });
});
