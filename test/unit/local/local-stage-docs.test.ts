// docs/local-stage.md against the code: every environment variable it names is one the code reads or sets,
// and the page names the variables through which the local stage points the handlers at its stand-ins.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTION_ENV } from '@hybrid-runner/config';

const ROOT = join(import.meta.dirname, '../../..');
const DOC = readFileSync(join(ROOT, 'docs/local-stage.md'), 'utf8');

function sources(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

describe('docs/local-stage.md environment variables', () => {
  it('names the management endpoint variable the handlers read, as they do in AWS', () => {
    expect(DOC).toContain(`\`${FUNCTION_ENV.managementEndpoint}\``);
  });

  it('names only variables the code reads or sets', () => {
    const code = ['packages', 'functions', 'stacks']
      .flatMap((folder) => sources(join(ROOT, folder)))
      .join('\n');
    const named = [
      ...new Set([...DOC.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=[^`]*)?`/g)].map((m) => m[1]!)),
    ];
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((name) => !code.includes(name))).toEqual([]);
  });
});
