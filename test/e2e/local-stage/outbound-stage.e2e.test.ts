// End to end in outbound mode, as a person would use it: `BRIDGE_MODE=outbound npm start`'s entry as a child
// process, the real keeper handler dialling the Collate-side stand-in, and the `hybrid-runner` CLI as child
// processes acting as Collate through the stand-in's relay, unchanged from inbound mode. The Collate side is a
// stand-in (not the Collate server); the sandbox runs a simulated Argo controller, not Argo.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LocalStageInfo } from '@hybrid-runner/cli';
import { OUTBOUND_PATH } from '@hybrid-runner/protocol';
import { freeExplicitPort } from '../../support/ports.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const MAIN = join(ROOT, 'packages/local/src/main.ts');
const CLI = join(ROOT, 'packages/cli/bin/hybrid-runner.js');
const FQN = 'mysql_prod.metadata_ingestion';
const TOKEN = 'e2e-outbound-stage-token-5c1e7a';
const AGENT_ID = 'e2e-outbound-runner';

let directory: string;
let stageFile: string;
let port: number;
let stage: ChildProcess;
let stageOutput = '';
let info: LocalStageInfo;

function cleanEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('AWS_') || name.startsWith('HYBRID_RUNNER') || name === 'KUBECONFIG')
      delete env[name];
  }
  for (const name of ['PORT', 'LOG_LEVEL', 'BRIDGE_MODE']) delete env[name];
  return env;
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, '--json', ...args], {
      cwd: ROOT,
      env: { ...cleanEnvironment(), HYBRID_RUNNER_STAGE_FILE: stageFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}. Stage output:\n${stageOutput}`);
    await sleep(100);
  }
}

/** The HTTP status of a WebSocket handshake at `url` (101 when it opens). */
function handshakeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((done) => {
    const socket = new WebSocket(url, { headers });
    socket.once('unexpected-response', (_request, response) => {
      done(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      done(101);
      socket.close();
    });
    socket.once('error', () => undefined);
  });
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'outbound-stage-e2e-'));
  stageFile = join(directory, 'local-stage.json');
  port = await freeExplicitPort();
  stage = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      ...cleanEnvironment(),
      BRIDGE_MODE: 'outbound',
      PORT: String(port),
      AUTH_TOKEN: TOKEN,
      AGENT_ID,
      HYBRID_RUNNER_STAGE_FILE: stageFile,
      SANDBOX_POD_RUN_MS: '300',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stage.stdout?.on('data', (chunk: Buffer) => (stageOutput += chunk.toString()));
  stage.stderr?.on('data', (chunk: Buffer) => (stageOutput += chunk.toString()));
  info = await waitFor('the stage file', () =>
    existsSync(stageFile) ? (JSON.parse(readFileSync(stageFile, 'utf8')) as LocalStageInfo) : undefined,
  );
}, 60_000);

afterAll(async () => {
  if (stage && stage.exitCode === null && stage.signalCode === null) stage.kill('SIGKILL');
  rmSync(directory, { recursive: true, force: true });
});

describe('BRIDGE_MODE=outbound npm start (Collate-side stand-in, sandbox emulator, simulated Argo)', () => {
  it('prints the outbound bridge and names the Collate side as a stand-in; the stage file points at its relay', () => {
    expect(stageOutput).toContain('Bridge         outbound');
    expect(stageOutput).toContain(`ws://127.0.0.1:${port}${OUTBOUND_PATH} (a stand-in, not Collate)`);
    expect(stageOutput).toContain('by the keeper over its own socket');
    expect(info).toMatchObject({ agentId: AGENT_ID, token: TOKEN, pid: stage.pid });
    expect(info.url).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${port}/`));
    expect(info.url).not.toContain(OUTBOUND_PATH);
    expect(info.managementEndpoint).toBeUndefined();
    expect((info.config as { bridge?: { mode?: string } }).bridge?.mode).toBe('outbound');
  });

  it('opens no inbound endpoint: a handshake as Collate would make it inbound finds nothing at the root', async () => {
    const headers = { Authorization: `Bearer ${TOKEN}`, 'X-Agent-Id': AGENT_ID };
    expect(await handshakeStatus(`ws://127.0.0.1:${port}/`, headers)).toBe(404);
    // The agent endpoint admits only the right token (the keeper's), as Collate's would.
    expect(
      await handshakeStatus(`ws://127.0.0.1:${port}${OUTBOUND_PATH}`, {
        ...headers,
        Authorization: 'Bearer wrong',
      }),
    ).toBe(401);
  });

  it('the collate commands work through the stand-in: ping, deploy, run --follow to success, logs', async () => {
    const ping = await cli(['collate', 'ping']);
    expect(ping.code, ping.stderr).toBe(0);
    expect(JSON.parse(ping.stdout)).toMatchObject({ pong: true, agentId: AGENT_ID });

    const deploy = await cli(['collate', 'deploy', 'examples/mysql-metadata.yaml']);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(JSON.parse(deploy.stdout)).toMatchObject({ code: 200, platform: 'Argo' });

    const run = await cli(['collate', 'run', FQN, '--follow']);
    expect(run.code, run.stderr).toBe(0);
    const events = run.stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const started = events.find((event) => event.type === 'started');
    expect(started).toMatchObject({ code: 200, runId: expect.any(String) });
    expect(events.filter((event) => event.type === 'status').at(-1)).toMatchObject({
      pipelineState: 'success',
    });

    const logs = await cli(['collate', 'logs', FQN, '--run-id', String(started?.runId)]);
    expect(logs.code, logs.stderr).toBe(0);
    expect((JSON.parse(logs.stdout) as { text: string }).text).toContain(String(started?.workflowName));
  }, 60_000);

  it('stops cleanly on SIGTERM (the keeper closes its socket) and removes the stage file', async () => {
    stage.kill('SIGTERM');
    const code = await new Promise<number | null>((done) => {
      if (stage.exitCode !== null) done(stage.exitCode);
      else stage.once('exit', (exitCode) => done(exitCode));
    });
    expect(code, stageOutput).toBe(0);
    expect(stageOutput).toContain('Stopped.');
    expect(existsSync(stageFile)).toBe(false);
    const logFile = join(directory, 'local-stage.log');
    const logged = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    expect(logged).toContain('Keeper closed');
    expect(logged).not.toContain(TOKEN);
  }, 30_000);
});
