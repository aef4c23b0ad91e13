// `npm start`'s entry (packages/local/src/main.ts) as a child process, as the local-stage e2e suites run it:
// in a clean environment, its output collected, ready when the suite says so, driven by the `hybrid-runner`
// CLI as child processes pointed at its stage file. What "ready" means and what the stage is told stay with
// each suite; the ports they hand it come from ./ports.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalStageInfo } from '@hybrid-runner/cli';

export const REPOSITORY_ROOT = resolve(import.meta.dirname, '../..');
export const LOCAL_STAGE_MAIN = join(REPOSITORY_ROOT, 'packages/local/src/main.ts');
export const CLI_SCRIPT = join(REPOSITORY_ROOT, 'packages/cli/bin/hybrid-runner.js');

/** What `npm start` reads (docs/local-stage.md): a suite sets the ones it means, none leaks from the shell. */
const STAGE_SETTINGS = [
  'PORT',
  'AGENT_ID',
  'AUTH_TOKEN',
  'PREVIOUS_AUTH_TOKEN',
  'BRIDGE_MODE',
  'LOG_LEVEL',
  'HEARTBEAT_SECONDS',
  'SEED_SECRETS_FILE',
  'SANDBOX_POD_RUN_MS',
  'USE_AWS_SECRETS_MANAGER',
  'KUBECONFIG',
];

/**
 * The environment of the user's shell without anything that would point the stage or the CLI elsewhere (AWS,
 * HYBRID_RUNNER*, the stage's own settings), and without variables of the given prefixes (e.g. `npm_` for an
 * `npm start` that must not see the npm running the tests).
 */
export function cleanEnvironment(options: { dropPrefixes?: readonly string[] } = {}): NodeJS.ProcessEnv {
  const prefixes = ['AWS_', 'HYBRID_RUNNER', ...(options.dropPrefixes ?? [])];
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (prefixes.some((prefix) => name.startsWith(prefix)) || STAGE_SETTINGS.includes(name)) delete env[name];
  }
  return env;
}

/** Polls `probe` every 100 ms until it gives a value; on timeout fails with `what` and `context()`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined,
  options: { timeoutMs?: number; context?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}.${options.context ? `\n${options.context()}` : ''}`);
    await sleep(100);
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface LocalStageProcess {
  child: ChildProcess;
  stageFile: string;
  /** Everything the stage wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** waitFor, failing early if the stage exits first, with the stage's output in the error. */
  waitFor<T>(what: string, probe: () => T | undefined, timeoutMs?: number): Promise<T>;
  /** The stage file's record, once written. */
  info(): LocalStageInfo;
  /** `hybrid-runner [--json] <args>` against this stage (its stage file, the clean environment). */
  cli(
    args: string[],
    options?: {
      json?: boolean;
      input?: string;
      env?: Record<string, string>;
      background?: (child: ChildProcess) => void;
    },
  ): Promise<CliResult>;
  /** Signals the stage (SIGTERM by default) and resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnLocalStageOptions {
  /** Where the stage records itself (HYBRID_RUNNER_STAGE_FILE). */
  stageFile: string;
  /** The suite's settings, over the clean environment. */
  env?: Record<string, string>;
  /** Prefixes dropped from the environment beside the defaults (see cleanEnvironment). */
  dropPrefixes?: readonly string[];
  /** The command to run instead of `node packages/local/src/main.ts` (e.g. `npm start`). */
  command?: { file: string; args: string[] };
}

/** Starts the stage as a child process without waiting for it. */
export function spawnLocalStage(options: SpawnLocalStageOptions): LocalStageProcess {
  const environment = () => ({
    ...cleanEnvironment(options.dropPrefixes ? { dropPrefixes: options.dropPrefixes } : {}),
    HYBRID_RUNNER_STAGE_FILE: options.stageFile,
  });
  const command = options.command ?? { file: process.execPath, args: [LOCAL_STAGE_MAIN] };
  const child = spawn(command.file, command.args, {
    cwd: REPOSITORY_ROOT,
    env: { ...environment(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    stageFile: options.stageFile,
    output: () => output,
    exited,
    waitFor: (what, probe, timeoutMs) =>
      waitFor(
        what,
        () => {
          const value = probe();
          if (value === undefined && !running())
            throw new Error(`The local stage exited while waiting for ${what}. Its output:\n${output}`);
          return value;
        },
        { ...(timeoutMs !== undefined ? { timeoutMs } : {}), context: () => `Stage output:\n${output}` },
      ),
    info: () => JSON.parse(readFileSync(options.stageFile, 'utf8')) as LocalStageInfo,
    cli: (args, cliOptions = {}) =>
      new Promise((done, fail) => {
        const cli = spawn(
          process.execPath,
          [CLI_SCRIPT, ...(cliOptions.json === false ? [] : ['--json']), ...args],
          {
            cwd: REPOSITORY_ROOT,
            env: { ...environment(), ...cliOptions.env },
            stdio: [cliOptions.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
          },
        );
        if (cliOptions.input !== undefined) cli.stdin?.end(cliOptions.input);
        let stdout = '';
        let stderr = '';
        cli.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        cli.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        cli.once('error', fail);
        cli.once('close', (code) => done({ code, stdout, stderr }));
        cliOptions.background?.(cli);
      }),
    stop: (signal = 'SIGTERM') => {
      if (running()) child.kill(signal);
      return exited;
    },
  };
}

/** The stage is ready once its stage file exists (and `also(output)` holds, when given). */
export function stageFileWritten(
  also: (output: string) => boolean = () => true,
): (stage: LocalStageProcess) => boolean {
  return (stage) => existsSync(stage.stageFile) && also(stage.output());
}

/** Starts the stage and waits until `ready` says it is (default: its stage file is written). */
export async function startLocalStageProcess(
  options: SpawnLocalStageOptions & {
    ready?: (stage: LocalStageProcess) => boolean;
    timeoutMs?: number;
  },
): Promise<LocalStageProcess> {
  const stage = spawnLocalStage(options);
  const ready = options.ready ?? stageFileWritten();
  try {
    await stage.waitFor(
      'the local stage to be ready',
      () => (ready(stage) ? true : undefined),
      options.timeoutMs ?? 50_000,
    );
  } catch (error) {
    await stage.stop('SIGKILL');
    throw error;
  }
  return stage;
}
