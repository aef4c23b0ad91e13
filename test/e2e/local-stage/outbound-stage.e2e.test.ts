// End to end in outbound mode, as a person would use it: `BRIDGE_MODE=outbound npm start`'s entry as a child
// process, the real keeper handler dialling the Collate-side stand-in, and the `hybrid-runner` CLI as child
// processes acting as Collate through the stand-in's relay, unchanged from inbound mode. The Collate side is a
// stand-in (not the Collate server); the sandbox runs a simulated Argo controller, not Argo.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStageInfo } from '@hybrid-runner/cli';
import { OUTBOUND_PATH } from '@hybrid-runner/protocol';
import { startLocalStageProcess, type LocalStageProcess } from '../../support/local-stage-process.ts';
import { freeExplicitPort } from '../../support/ports.ts';
import { handshakeStatus } from '../../support/websocket-handshake.ts';

const FQN = 'mysql_prod.metadata_ingestion';
const TOKEN = 'e2e-outbound-stage-token-5c1e7a';
const AGENT_ID = 'e2e-outbound-runner';

let directory: string;
let port: number;
let stage: LocalStageProcess;
let info: LocalStageInfo;
const cli = (args: string[]) => stage.cli(args);

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'outbound-stage-e2e-'));
  port = await freeExplicitPort();
  // Ready once the stage file is written (the first keeper has connected by then).
  stage = await startLocalStageProcess({
    stageFile: join(directory, 'local-stage.json'),
    env: {
      BRIDGE_MODE: 'outbound',
      PORT: String(port),
      AUTH_TOKEN: TOKEN,
      AGENT_ID,
      SANDBOX_POD_RUN_MS: '300',
    },
  });
  info = stage.info();
}, 60_000);

afterAll(async () => {
  await stage?.stop('SIGKILL');
  rmSync(directory, { recursive: true, force: true });
});

describe('BRIDGE_MODE=outbound npm start (Collate-side stand-in, sandbox emulator, simulated Argo)', () => {
  it('prints the outbound bridge and names the Collate side as a stand-in; the stage file points at its relay', () => {
    expect(stage.output()).toContain('Bridge         outbound');
    expect(stage.output()).toContain(`ws://127.0.0.1:${port}${OUTBOUND_PATH} (a stand-in, not Collate)`);
    expect(stage.output()).toContain('by the keeper over its own socket');
    expect(info).toMatchObject({ agentId: AGENT_ID, token: TOKEN, pid: stage.child.pid });
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
    const code = await stage.stop('SIGTERM');
    expect(code, stage.output()).toBe(0);
    expect(stage.output()).toContain('Stopped.');
    expect(existsSync(stage.stageFile)).toBe(false);
    const logFile = join(directory, 'local-stage.log');
    const logged = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    expect(logged).toContain('Keeper closed');
    expect(logged).not.toContain(TOKEN);
  }, 30_000);
});
