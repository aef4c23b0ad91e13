// `--token-file`: the token read from a file, so it never shows in the process list or shell history.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTarget } from '../../../../packages/cli/src/commands/collate.ts';
import { CliError, EXIT } from '@hybrid-runner/cli';

const dir = mkdtempSync(join(tmpdir(), 'token-file-'));

describe('collate --token-file', () => {
  it('reads the token from the file, trimmed', () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'eyJ.token.value\n');
    expect(resolveTarget({ url: 'wss://runner.example', agentId: 'a', tokenFile: file })).toEqual({
      url: 'wss://runner.example',
      agentId: 'a',
      token: 'eyJ.token.value',
    });
  });

  it('is a usage error when the file is missing or empty, without echoing anything from it', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '  \n');
    for (const tokenFile of [join(dir, 'absent'), empty]) {
      let thrown: unknown;
      try {
        resolveTarget({ url: 'wss://runner.example', agentId: 'a', tokenFile });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(CliError);
      expect((thrown as CliError).exitCode).toBe(EXIT.usage);
      expect((thrown as Error).message).toContain('--token-file');
    }
  });
});
