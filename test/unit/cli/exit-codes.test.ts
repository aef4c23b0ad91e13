// The exit codes `hybrid-runner --help` documents, in practice: a usage error is 2 even when the runner is
// unreachable (input is checked before connecting), and an unreachable runner is 3.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCapturingStderr } from '../../support/cli.ts';
import { EXIT } from '../../../packages/cli/src/exit-codes.ts';

// Port 1 on loopback refuses connections: the runner is unreachable.
const UNREACHABLE = [
  'collate',
  '--url',
  'ws://127.0.0.1:1',
  '--token',
  't',
  '--agent-id',
  'a',
  '--timeout',
  '2',
];
const directory = mkdtempSync(join(tmpdir(), 'cli-exit-codes-'));
const missingFile = join(directory, 'missing.yaml');

afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('hybrid-runner exit codes against an unreachable runner', () => {
  it('an unreachable runner is 3 with what to do (the baseline the usage cases are compared with)', async () => {
    const { code, stderr } = await runCliCapturingStderr([...UNREACHABLE, 'ping']);
    expect(code).toBe(EXIT.unreachable);
    expect(stderr).toContain('Could not connect to the runner');
    expect(stderr).toContain('Is the runner running? Start the local stage with `npm start`, or point --url');
  });

  it.each([
    ['deploy of a missing file', ['deploy', missingFile], 'Cannot read pipeline file'],
    ['test-connection of a missing file', ['test-connection', missingFile], missingFile],
    [
      'toggle without --enable or --disable',
      ['toggle', 'svc.pipeline'],
      'toggle needs --enable or --disable',
    ],
    ['runs with a --limit out of range', ['runs', 'svc.pipeline', '--limit', '0'], '--limit must be'],
  ])('%s is a usage error (2), reported before connecting', async (_name, args, message) => {
    const { code, stderr } = await runCliCapturingStderr([...UNREACHABLE, ...args]);
    expect(stderr).toContain(message);
    expect(stderr).not.toContain('Connecting to');
    expect(code).toBe(EXIT.usage);
  });
});

describe('hybrid-runner exit codes for a missing or damaged local stage file', () => {
  it('doctor --stage-file naming a missing file is a usage error (2) that says to start the stage', async () => {
    const { code, stderr } = await runCliCapturingStderr([
      'doctor',
      '--stage-file',
      join(directory, 'none.json'),
    ]);
    expect(stderr).toContain('No local stage file at');
    expect(stderr).toContain('npm start');
    expect(code).toBe(EXIT.usage);
  });

  it('a damaged stage file named by HYBRID_RUNNER_STAGE_FILE is a usage error (2), its content not echoed', async () => {
    const damaged = join(directory, 'damaged.json');
    writeFileSync(damaged, '{"token": "stage-token-never-echoed",');
    const saved = process.env.HYBRID_RUNNER_STAGE_FILE;
    process.env.HYBRID_RUNNER_STAGE_FILE = damaged;
    try {
      const { code, stderr } = await runCliCapturingStderr(['collate', '--timeout', '2', 'ping']);
      expect(stderr).toContain('is not a local stage file');
      expect(stderr).not.toContain('stage-token-never-echoed');
      expect(code).toBe(EXIT.usage);
    } finally {
      if (saved === undefined) delete process.env.HYBRID_RUNNER_STAGE_FILE;
      else process.env.HYBRID_RUNNER_STAGE_FILE = saved;
    }
  });
});

describe('hybrid-runner secrets put without a local stage', () => {
  it('refuses (3) instead of writing to whatever AWS account the shell has credentials for', async () => {
    // No HYBRID_RUNNER_STAGE_FILE, and no .hybrid-runner/ up from a fresh temporary folder.
    const saved = { ...process.env };
    const cwd = process.cwd();
    process.chdir(directory);
    try {
      delete process.env.HYBRID_RUNNER_STAGE_FILE;
      const { code, stderr } = await runCliCapturingStderr([
        'secrets',
        'put',
        '/collate/hybrid-ingestion-runner/x',
      ]);
      expect(stderr).toContain('No local stage found: start it with `npm start`');
      expect(code).toBe(EXIT.unreachable);
    } finally {
      process.chdir(cwd);
      process.env = saved;
    }
  });
});
