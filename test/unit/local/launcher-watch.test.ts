import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import {
  launcherChain,
  procProcessTable,
  watchLauncher,
  type ProcessInfo,
  type ProcessTable,
} from '../../../packages/local/src/launcher-watch.ts';

const SCRIPT = 'node packages/local/src/main.ts';
const npm: ProcessInfo = { pid: 100, ppid: 50, startTime: '1000', argv: ['npm', 'start'] };
const shell: ProcessInfo = { pid: 101, ppid: 100, startTime: '1001', argv: ['sh', '-c', SCRIPT] };
const login: ProcessInfo = { pid: 50, ppid: 1, startTime: '10', argv: ['-bash'] };

function table(processes: ProcessInfo[]): ProcessTable & { set(list: ProcessInfo[]): void } {
  let live = new Map(processes.map((info) => [info.pid, info]));
  return {
    read: (pid) => live.get(pid),
    set: (list) => (live = new Map(list.map((info) => [info.pid, info]))),
  };
}

describe('launcherChain', () => {
  it('under npm, watches the script shell and npm above it, not the login shell', () => {
    const chain = launcherChain(101, { npm_lifecycle_script: SCRIPT }, table([login, npm, shell]));
    expect(chain.map((info) => info.pid)).toEqual([101, 100]);
  });

  it('recognises the script shell when npm passes extra arguments (npm start -- --kubeconfig x)', () => {
    const withArgs = { ...shell, argv: ['sh', '-c', `${SCRIPT} --kubeconfig x`] };
    const chain = launcherChain(101, { npm_lifecycle_script: SCRIPT }, table([login, npm, withArgs]));
    expect(chain.map((info) => info.pid)).toEqual([101, 100]);
  });

  it('watches npm alone when the shell exec-ed the script, and the parent alone without npm', () => {
    expect(
      launcherChain(100, { npm_lifecycle_script: SCRIPT }, table([login, npm])).map((info) => info.pid),
    ).toEqual([100]);
    expect(launcherChain(50, {}, table([login])).map((info) => info.pid)).toEqual([50]);
  });
});

describe('watchLauncher', () => {
  const env = { npm_lifecycle_script: SCRIPT };

  async function goneAfter(change: (processes: ReturnType<typeof table>) => void, ppid = () => 101) {
    const processes = table([login, npm, shell]);
    const reports: string[] = [];
    const watch = watchLauncher({
      onGone: (what) => reports.push(what),
      intervalMs: 5,
      env,
      table: processes,
      parentPid: ppid,
    });
    expect(watch.watched.map((info) => info.pid)).toEqual([101, 100]);
    await sleep(30);
    expect(reports).toEqual([]);
    change(processes);
    for (let tries = 0; tries < 100 && reports.length === 0; tries += 1) await sleep(5);
    await sleep(30);
    watch.stop();
    return reports;
  }

  it('reports npm gone while its shell still waits (npm killed with SIGKILL), once', async () => {
    expect(await goneAfter((processes) => processes.set([login, shell]))).toEqual(['npm start (pid 100)']);
  });

  it('reports npm gone when its pid now belongs to another process (another start time)', async () => {
    const reused = { ...npm, startTime: '5000', argv: ['vim'] };
    expect(await goneAfter((processes) => processes.set([login, reused, shell]))).toEqual([
      'npm start (pid 100)',
    ]);
  });

  it('reports the parent gone when the stage is re-parented (npm forwarded SIGTERM to the shell only)', async () => {
    let parent = 101;
    const reports = await goneAfter(
      () => (parent = 1),
      () => parent,
    );
    expect(reports).toEqual(['its parent (pid 101)']);
  });
});

describe('procProcessTable', () => {
  const root = mkdtempSync(join(tmpdir(), 'fake-proc-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  function fakeProcess(pid: number | 'self', stat: string, argv: string[]) {
    mkdirSync(join(root, String(pid)), { recursive: true });
    writeFileSync(join(root, String(pid), 'stat'), stat);
    writeFileSync(join(root, String(pid), 'cmdline'), `${argv.join('\0')}\0`);
  }
  const rest = (startTime: string) =>
    `${Array.from({ length: 17 }, (_, index) => index).join(' ')} ${startTime} 0 0`;

  it('reads ppid and start time after a command name holding spaces and parentheses, and argv', () => {
    fakeProcess('self', `1 (node) S 0 ${rest('1')}`, ['node']);
    fakeProcess(42, `42 (npm start (x)) S 7 ${rest('123456')}`, ['npm', 'start']);
    fakeProcess(43, `43 (sh) Z 42 ${rest('123457')}`, ['sh']);
    const proc = procProcessTable(root)!;
    expect(proc.read(42)).toEqual({ pid: 42, ppid: 7, startTime: '123456', argv: ['npm', 'start'] });
    // a zombie has exited; a missing pid is gone
    expect(proc.read(43)).toBeUndefined();
    expect(proc.read(44)).toBeUndefined();
  });

  it('reads this very process from the real /proc on Linux', () => {
    const real = procProcessTable();
    if (process.platform !== 'linux') {
      expect(real).toBeUndefined();
      return;
    }
    expect(real?.read(process.pid)).toMatchObject({ pid: process.pid, ppid: process.ppid });
  });
});
