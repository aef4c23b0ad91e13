// The README's five-minute tour, exactly as written: `npm start`'s entry as a child process (on a free port,
// its stage file in a temporary folder, nothing seeded), then every line of the tour's code block run by a
// shell from the repository root, as a person would paste it. Each line must succeed, except the one the
// README says ends failed. The sandbox is the Kubernetes emulator with a simulated Argo controller, not Argo.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REPOSITORY_ROOT as ROOT,
  cleanEnvironment,
  stageFileWritten,
  startLocalStageProcess,
  type LocalStageProcess,
} from '../../support/local-stage-process.ts';
import { freeExplicitPort } from '../../support/ports.ts';

/** The lines of the `index`th `sh` block after a heading of a markdown file. */
function shellBlock(file: string, heading: string, index = 0): string[] {
  const markdown = readFileSync(join(ROOT, file), 'utf8');
  const section = markdown.slice(markdown.indexOf(heading));
  const block = [...section.matchAll(/```sh\n([\s\S]*?)```/g)][index]?.[1] ?? '';
  return block.split('\n').filter((line) => line.trim() !== '');
}

let directory: string;
let stage: LocalStageProcess;

/** The user's shell: no variable that would point the stage or the CLI elsewhere; the project's Node first. */
function environment(): NodeJS.ProcessEnv {
  const env = cleanEnvironment();
  return {
    ...env,
    PATH: `${join(ROOT, 'node_modules/.bin')}${delimiter}${env.PATH ?? ''}`,
    HYBRID_RUNNER_STAGE_FILE: stage.stageFile,
  };
}

function shell(line: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn('sh', ['-c', line], {
      cwd: ROOT,
      env: environment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, output }));
  });
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'readme-tour-'));
  // Nothing seeded, no token or agent id: as the README starts it. Ready once the stage file exists and the
  // ECR refresh at start has written the pull secret.
  stage = await startLocalStageProcess({
    stageFile: join(directory, 'local-stage.json'),
    env: {
      PATH: `${join(ROOT, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`,
      PORT: String(await freeExplicitPort()),
    },
    ready: stageFileWritten((output) => /ecr-refresh ok/.test(output)),
  });
}, 70_000);

afterAll(async () => {
  await stage?.stop('SIGINT');
  rmSync(directory, { recursive: true, force: true });
});

describe('docs/local-stage.md against what npm start prints (the local stage with its stand-ins)', () => {
  it('shows exactly the commands the stage prints to try next', () => {
    const printed = /Try:\n([\s\S]*?)Stop with/.exec(stage.output())?.[1] ?? '';
    const documented = shellBlock('docs/local-stage.md', '## Start it', 1);
    expect(documented.length).toBeGreaterThan(0);
    expect(
      printed
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean),
    ).toEqual(documented);
  });
});

describe('the README five-minute tour against the local stage (sandbox emulator and simulated Argo, not Argo)', () => {
  it('runs every line as written: each succeeds, and the run the README says ends failed fails with its reason', async () => {
    const lines = shellBlock('README.md', '## A five-minute tour');
    expect(lines.length).toBeGreaterThan(5);
    const failures: string[] = [];
    for (const line of lines) {
      const expectedToFail = /#\s*ends failed/.test(line);
      const { code, output } = await shell(line);
      if (expectedToFail ? code !== 1 || !/ErrImagePull|ImagePullBackOff/.test(output) : code !== 0) {
        failures.push(`${line}\n  exit ${code}:\n${output}`);
      }
    }
    expect(failures, `Tour lines that do not do what the README says:\n${failures.join('\n')}`).toEqual([]);
  }, 120_000);
});
