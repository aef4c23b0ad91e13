// `npm start` as a process manager runs it: in the background, then stopped by signalling npm's pid, not the
// stage's. npm forwards SIGTERM to its script shell only, and SIGKILL reaches nobody else: the stage must
// notice that its launcher is gone and stop cleanly (its port and stage file released). The stage runs its
// stand-ins (the sandbox emulator, the AWS wire stand-ins); no real cluster or AWS is involved.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnLocalStage, waitFor } from '../../support/local-stage-process.ts';
import { portIsFree } from '../../support/ports.ts';

const directory = mkdtempSync(join(tmpdir(), 'local-stage-launcher-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start stops when npm is stopped (local stage on its stand-ins: sandbox emulator, AWS wire stand-ins)', () => {
  it.each(['SIGTERM', 'SIGKILL'] as const)(
    'kill -%s <npm pid>: the stage exits, releasing its port and stage file',
    async (signal) => {
      // npm's own variables from the npm running the tests would change how this `npm start` behaves.
      const npm = spawnLocalStage({
        stageFile: join(directory, `${signal}.json`),
        env: { AUTH_TOKEN: 'launcher-exit-token' },
        dropPrefixes: ['npm_'],
        command: { file: 'npm', args: ['start'] },
      });
      let stagePid: number | undefined;
      try {
        await npm.waitFor(
          'the stage file and the stop hint',
          () => (existsSync(npm.stageFile) && npm.output().includes('Stop with Ctrl+C') ? true : undefined),
          60_000,
        );
        const info = npm.info();
        stagePid = info.pid;
        const port = Number(new URL(info.url).port);
        // The stage is npm's grandchild (npm → sh -c → node), not npm itself: the test signals npm only.
        expect(stagePid).not.toBe(npm.child.pid);
        expect(await portIsFree(port)).toBe(false);

        process.kill(npm.child.pid!, signal);

        await waitFor('the stage to exit', () => (alive(stagePid!) ? undefined : true), {
          timeoutMs: 20_000,
          context: npm.output,
        });
        expect(existsSync(npm.stageFile)).toBe(false);
        expect(await portIsFree(port)).toBe(true);
        expect(npm.output()).toMatch(/exited: shutting down/);
      } finally {
        if (stagePid !== undefined && alive(stagePid)) process.kill(stagePid, 'SIGKILL');
        await npm.stop('SIGKILL');
      }
    },
    120_000,
  );
});
