// What the README says of `--json`: every command takes it except import-values, which writes a YAML stage
// file whatever the flag says. This holds the README to that exception.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../packages/cli/src/main.ts';

const ROOT = join(import.meta.dirname, '../../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const CHART_VALUES = join(ROOT, '../shared/fixtures/helm/chart-1.13.3-values.yaml');

function captureStdout(): { text: () => string } {
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return { text: () => written.join('') };
}

afterEach(() => vi.restoreAllMocks());

describe('--json as the README describes it', () => {
  it('import-values writes YAML even with --json, and the README names it as the exception', async () => {
    const stdout = captureStdout();
    expect(await main(['--json', 'import-values', CHART_VALUES, '--stage', 'prod'])).toBe(0);
    expect(stdout.text()).toMatch(/^# Stage configuration imported from/);
    expect(() => JSON.parse(stdout.text())).toThrow();
    const sentence = /Every command[^.]*--json[^.]*/.exec(README)?.[0] ?? '';
    expect(sentence).toContain('import-values');
  });
});
