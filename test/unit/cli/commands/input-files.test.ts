import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPipelineFile } from '../../../../packages/cli/src/commands/collate.ts';
import { readAutomationFile } from '../../../../packages/cli/src/commands/collate-extra.ts';
import { CliError, EXIT } from '../../../../packages/cli/src/exit-codes.ts';

// Deploy and test-connection files hold connection passwords; the YAML parser quotes the offending line in
// its message, so a syntax error must be reported by position only (the CLI prints it, CI logs keep it).
const password = 'S3cr3t-db-password-never-printed';

function fileWith(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cli-input-')), name);
  writeFileSync(path, text);
  return path;
}

function errorOf(read: () => unknown): CliError {
  try {
    read();
  } catch (error) {
    return error as CliError;
  }
  throw new Error('expected the read to fail');
}

describe('collate input files with a syntax error', () => {
  it('deploy: names the line and column, never the text there', () => {
    const path = fileWith(
      'deploy.yaml',
      `pipeline:\n  name: p\nworkflowConfig:\n  source:\n    password: "${password}\n    host: db\n`,
    );
    const error = errorOf(() => readPipelineFile(path));
    expect(error).toBeInstanceOf(CliError);
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.message).toMatch(/is not valid YAML or JSON \(line \d+, column \d+/);
    expect(error.message).not.toContain(password);
  });

  it('test-connection: names the line and column, never the text there', () => {
    const path = fileWith(
      'test.yaml',
      `workflow:\n  request:\n    connection:\n      password: ${password}\n     host: db\n`,
    );
    const error = errorOf(() => readAutomationFile(path));
    expect(error.message).toMatch(/as YAML or JSON \(line \d+, column \d+/);
    expect(error.message).not.toContain(password);
  });
});
