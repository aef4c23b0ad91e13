// The README promises that contract and end-to-end test names say which stand-in they rely on (they cannot
// prove a real Argo controller, real IAM or API Gateway's own limits). This holds every top-level describe
// of test/contract and test/e2e to it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const TEST_ROOT = join(import.meta.dirname, '../..');
const NAMES_A_STAND_IN = /emulator|stand-in|simulated|not Argo|not real|dynalite|fake/i;

function testFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Titles of the describes that start a line (the top level). */
function topLevelDescribes(path: string): string[] {
  const source = readFileSync(path, 'utf8');
  return [...source.matchAll(/^describe\(\s*(['"`])(.+?)\1/gm)].map((match) => match[2]!);
}

describe('contract and end-to-end test names', () => {
  const files = ['contract', 'e2e'].flatMap((folder) => testFiles(join(TEST_ROOT, folder)));

  it('finds the suites (the check below cannot pass on nothing)', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(files.flatMap(topLevelDescribes).length).toBeGreaterThan(10);
  });

  it('say at the top level which stand-in they rely on', () => {
    const silent = files.flatMap((file) =>
      topLevelDescribes(file)
        .filter((title) => !NAMES_A_STAND_IN.test(title))
        .map((title) => `${relative(TEST_ROOT, file)}: "${title}"`),
    );
    expect(silent).toEqual([]);
  });
});
