// `npm start` as a process manager runs it: in the background, then stopped by signalling npm's pid, not the
// stage's. npm forwards SIGTERM to its script shell only, and SIGKILL reaches nobody else: the stage must
// notice that its launcher is gone and stop cleanly (its port and stage file released). The stage runs its
// stand-ins (the sandbox emulator, the AWS wire stand-ins); no real cluster or AWS is involved.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { LocalStageInfo } from '@hybrid-runner/cli';
import { portIsFree } from '../../support/ports.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const directory = mkdtempSync(join(tmpdir(), 'local-stage-launcher-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function environment(stageFile: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('AWS_') || name.startsWith('HYBRID_RUNNER') || name.startsWith('npm_'))
      delete env[name];
  }
  for (const name of [
    'KUBECONFIG',
    'PORT',
    'LOG_LEVEL',
    'AGENT_ID',
    'SEED_SECRETS_FILE',
    'HEARTBEAT_SECONDS',
  ])
    delete env[name];
  return { ...env, HYBRID_RUNNER_STAGE_FILE: stageFile, AUTH_TOKEN: 'launcher-exit-token' };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(100))
    if (condition()) return true;
  return condition();
}

describe('npm start stops when npm is stopped (local stage on its stand-ins: sandbox emulator, AWS wire stand-ins)', () => {
  it.each(['SIGTERM', 'SIGKILL'] as const)(
    'kill -%s <npm pid>: the stage exits, releasing its port and stage file',
    async (signal) => {
      const stageFile = join(directory, `${signal}.json`);
      const npm = spawn('npm', ['start'], { cwd: ROOT, env: environment(stageFile) });
      let output = '';
      npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      let stagePid: number | undefined;
      try {
        expect(
          await waitFor(() => existsSync(stageFile) && output.includes('Stop with Ctrl+C'), 60_000),
        ).toBe(true);
        const info = JSON.parse(readFileSync(stageFile, 'utf8')) as LocalStageInfo;
        stagePid = info.pid;
        const port = Number(new URL(info.url).port);
        // The stage is npm's grandchild (npm → sh -c → node), not npm itself: the test signals npm only.
        expect(stagePid).not.toBe(npm.pid);
        expect(await portIsFree(port)).toBe(false);

        process.kill(npm.pid!, signal);

        expect(await waitFor(() => !alive(stagePid!), 20_000)).toBe(true);
        expect(existsSync(stageFile)).toBe(false);
        expect(await portIsFree(port)).toBe(true);
        expect(output).toMatch(/exited: shutting down/);
      } finally {
        if (stagePid !== undefined && alive(stagePid)) process.kill(stagePid, 'SIGKILL');
        if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
      }
    },
    120_000,
  );
});
