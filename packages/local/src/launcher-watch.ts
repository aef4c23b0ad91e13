// The local stage stops when the process that started it goes away. `npm start` runs the stage as
// `sh -c "<script>"` under npm: a process manager stopping npm with SIGTERM ends npm and that shell (npm
// forwards the signal to the shell only, which does not pass it on), and a SIGKILL ends npm alone; either way
// the stage kept running, orphaned, holding its port and stage file. Linux can signal a child on its
// parent's death (prctl PR_SET_PDEATHSIG), but not from Node, so the stage polls: its parent pid, and each
// launching process by pid and start time (a reused pid is a different process).
import { existsSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Start time since boot in clock ticks (field 22 of /proc/<pid>/stat): a reused pid has another one. */
  startTime: string;
  argv: string[];
}

/** Reads live processes; undefined when the process is gone. */
export interface ProcessTable {
  read(pid: number): ProcessInfo | undefined;
}

/** The processes of /proc, or undefined where there is no /proc (then only the parent pid is watched). */
export function procProcessTable(root = '/proc'): ProcessTable | undefined {
  if (!existsSync(`${root}/self/stat`)) return undefined;
  return {
    read(pid) {
      try {
        const stat = readFileSync(`${root}/${pid}/stat`, 'utf8');
        // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so split after the last ')'.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const argv = readFileSync(`${root}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        // A zombie (state Z) has exited: its parent just has not reaped it yet.
        if (fields[0] === 'Z') return undefined;
        return { pid, ppid: Number(fields[1]), startTime: fields[19] ?? '', argv };
      } catch {
        return undefined;
      }
    },
  };
}

/** A shell npm started to run this lifecycle script (`sh -c "<script> [args]"`). */
function isScriptShell(info: ProcessInfo, script: string): boolean {
  const command = info.argv.at(-1) ?? '';
  return info.argv.includes('-c') && command.startsWith(script);
}

/**
 * The processes whose exit means the stage's launcher is gone: under npm (npm_lifecycle_script is set), the
 * shells running the script and npm above them; otherwise the parent alone.
 */
export function launcherChain(parentPid: number, env: NodeJS.ProcessEnv, table: ProcessTable): ProcessInfo[] {
  const parent = table.read(parentPid);
  if (!parent) return [];
  const script = env.npm_lifecycle_script;
  if (!script) return [parent];
  const chain: ProcessInfo[] = [parent];
  let current = parent;
  while (isScriptShell(current, script)) {
    const above = table.read(current.ppid);
    if (!above || above.pid <= 1) break;
    chain.push(above);
    current = above;
  }
  return chain;
}

export interface LauncherWatchOptions {
  /** Called once, with what went away. */
  onGone: (what: string) => void;
  intervalMs?: number;
  env?: NodeJS.ProcessEnv;
  table?: ProcessTable | undefined;
  parentPid?: () => number;
}

export interface LauncherWatch {
  /** The launching processes being watched (empty without /proc: then only the parent pid is). */
  watched: ProcessInfo[];
  stop(): void;
}

export const DEFAULT_LAUNCHER_POLL_MS = 500;

export function watchLauncher(options: LauncherWatchOptions): LauncherWatch {
  const parentPid = options.parentPid ?? (() => process.ppid);
  const table = 'table' in options ? options.table : procProcessTable();
  const originalParent = parentPid();
  const watched = table ? launcherChain(originalParent, options.env ?? process.env, table) : [];
  const describe = (info: ProcessInfo) => `${info.argv.slice(0, 2).join(' ') || 'process'} (pid ${info.pid})`;
  const timer = setInterval(() => {
    let gone: string | undefined;
    if (parentPid() !== originalParent) gone = `its parent (pid ${originalParent})`;
    for (const info of watched) {
      if (gone) break;
      if (table?.read(info.pid)?.startTime !== info.startTime) gone = describe(info);
    }
    if (gone) {
      clearInterval(timer);
      options.onGone(gone);
    }
  }, options.intervalMs ?? DEFAULT_LAUNCHER_POLL_MS);
  // The watch alone must not keep a stopped stage alive.
  timer.unref();
  return { watched, stop: () => clearInterval(timer) };
}
