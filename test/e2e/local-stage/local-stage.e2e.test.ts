// End to end, as a person would use it: `npm start`'s entry as a child process on a free port, driven by the
// `hybrid-runner` CLI as child processes (--json). Proves the local stage's wiring (the real handlers from
// their environment, the AWS stand-ins, the sandbox emulator with least-privilege RBAC, the schedules, the
// stage file, clean shutdown). The sandbox is a simulated Argo controller, not Argo; no real pod runs.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStageInfo } from '@hybrid-runner/cli';
import {
  REPOSITORY_ROOT as ROOT,
  stageFileWritten,
  startLocalStageProcess,
  type LocalStageProcess,
} from '../../support/local-stage-process.ts';
import { freeExplicitPort, portIsFree } from '../../support/ports.ts';

const FQN = 'mysql_prod.metadata_ingestion';
const TOKEN = 'e2e-local-stage-token-7f3a9c';
const PREFIX = '/collate/hybrid-ingestion-runner/';
const SEEDED_VALUE = 'seeded-password-value-1b2c';
const PUT_VALUE = 'put-later-password-value-9d8e';
/**
 * Set by the log-scan test (test/unit/observability/e2e-log-scan.test.ts): the stage logs at DEBUG and its
 * whole output is printed at the end, so the scan covers a stage that really loaded SEEDED_VALUE and PUT_VALUE.
 */
const ECHO_STAGE_OUTPUT = process.env.E2E_ECHO_LOCAL_STAGE_OUTPUT === '1';
const STAGE_OUTPUT_BEGINS = '----- local stage output (for the log scan) -----';

let directory: string;
let port: number;
let stage: LocalStageProcess;
let info: LocalStageInfo;
const cli: LocalStageProcess['cli'] = (args, options) => stage.cli(args, options);
const waitFor: LocalStageProcess['waitFor'] = (what, probe, timeoutMs) =>
  stage.waitFor(what, probe, timeoutMs);

/** Pids whose parent is `pid` (Linux /proc; none elsewhere). */
function childProcesses(pid: number): number[] {
  if (!existsSync('/proc')) return [];
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        // Field 4 of /proc/<pid>/stat is the parent pid (after the parenthesised command name).
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** JSON lines of a --follow run. */
function lines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'local-stage-e2e-'));
  port = await freeExplicitPort();
  const seedFile = join(directory, 'secrets.json');
  writeFileSync(seedFile, JSON.stringify({ [`${PREFIX}mysql-prod-password`]: SEEDED_VALUE }));
  // Ready once the stage file exists and the ECR refresh that runs at start has written the pull secret.
  stage = await startLocalStageProcess({
    stageFile: join(directory, 'local-stage.json'),
    env: {
      PORT: String(port),
      AUTH_TOKEN: TOKEN,
      AGENT_ID: 'e2e-local-runner',
      HEARTBEAT_SECONDS: '1',
      SANDBOX_POD_RUN_MS: '300',
      SEED_SECRETS_FILE: seedFile,
      ...(ECHO_STAGE_OUTPUT ? { LOG_LEVEL: 'DEBUG' } : {}),
    },
    ready: stageFileWritten((output) => /ecr-refresh ok/.test(output)),
  });
  info = stage.info();
}, 60_000);

afterAll(async () => {
  await stage?.stop('SIGKILL');
  if (ECHO_STAGE_OUTPUT) {
    const logFile = join(directory, 'local-stage.log');
    const logged = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    process.stdout.write(`${STAGE_OUTPUT_BEGINS}\n${stage?.output() ?? ''}\n${logged}\n`);
  }
  rmSync(directory, { recursive: true, force: true });
});

describe('npm start (the local stage: AWS stand-ins, sandbox emulator, simulated Argo)', () => {
  it('prints the URL, agent id, token and next command, and records them in the stage file', () => {
    expect(stage.output()).toContain(`ws://127.0.0.1:${port}`);
    expect(stage.output()).toContain('e2e-local-runner');
    expect(stage.output()).toContain(TOKEN);
    expect(stage.output()).toContain('npx hybrid-runner collate deploy examples/mysql-metadata.yaml');
    expect(info).toMatchObject({
      url: `ws://127.0.0.1:${port}`,
      agentId: 'e2e-local-runner',
      token: TOKEN,
      pid: stage.child.pid,
      namespace: 'collate-ingestion',
    });
    expect(info.env?.KUBECONFIG).toBe(join(directory, 'kubeconfig'));
  });

  it('deploys a pipeline and runs it with --follow to success, then serves its logs', async () => {
    const deploy = await cli(['collate', 'deploy', 'examples/mysql-metadata.yaml']);
    expect(deploy.stderr).toBe('');
    expect(deploy.code).toBe(0);
    expect(JSON.parse(deploy.stdout)).toMatchObject({ code: 200, platform: 'Argo' });

    const run = await cli(['collate', 'run', FQN, '--follow']);
    expect(run.code, run.stderr).toBe(0);
    const events = lines(run.stdout);
    const started = events.find((event) => event.type === 'started');
    expect(started).toMatchObject({ code: 200, runId: expect.any(String) });
    expect(events.filter((event) => event.type === 'status').at(-1)).toMatchObject({
      pipelineState: 'success',
    });

    const logs = await cli(['collate', 'logs', FQN, '--run-id', String(started?.runId)]);
    expect(logs.code, logs.stderr).toBe(0);
    const body = JSON.parse(logs.stdout) as { chunks: number; text: string };
    expect(body.chunks).toBeGreaterThanOrEqual(1);
    expect(body.text).toContain(String(started?.workflowName));
  });

  it('kills a slow run: the followed run ends stopped', async () => {
    const scenario = await cli(['sandbox', 'scenario', FQN, '--outcome', 'slow', '--duration', '120']);
    expect(scenario.code, scenario.stderr).toBe(0);
    let follower: ChildProcess | undefined;
    const following = cli(['collate', 'run', FQN, '--follow'], { background: (child) => (follower = child) });
    let seen = '';
    follower?.stdout?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    await waitFor('the slow run to be running', () =>
      /"pipelineState":"running"/.test(seen) ? true : undefined,
    );
    const kill = await cli(['collate', 'kill', FQN]);
    expect(kill.code, kill.stderr).toBe(0);
    const run = await following;
    expect(run.code).toBe(1);
    expect(
      lines(run.stdout)
        .filter((event) => event.type === 'status')
        .at(-1),
    ).toMatchObject({
      pipelineState: 'stopped',
    });
    const stoppedRunId = (lines(run.stdout).find((event) => event.type === 'started') as { runId?: string })
      ?.runId;
    const runs = await cli(['collate', 'runs', FQN, '--limit', '5']);
    expect(runs.code, runs.stderr).toBe(0);
    const listed = (JSON.parse(runs.stdout) as { runs: Array<{ runId: string; pipelineState: string }> })
      .runs;
    expect(listed.length).toBeLessThanOrEqual(5);
    expect(listed.find((r) => r.runId === stoppedRunId)).toMatchObject({ pipelineState: 'stopped' });
  });

  it('reports a run whose image cannot be pulled as failed, with the reason', async () => {
    const scenario = await cli(['sandbox', 'scenario', FQN, '--outcome', 'image-pull-error']);
    expect(scenario.code, scenario.stderr).toBe(0);
    const run = await cli(['collate', 'run', FQN, '--follow']);
    expect(run.code).toBe(1);
    const last = lines(run.stdout)
      .filter((event) => event.type === 'status')
      .at(-1);
    expect(last).toMatchObject({
      pipelineState: 'failed',
      reason: expect.stringMatching(/ImagePull|ErrImagePull/),
    });
    expect(JSON.parse(run.stderr.trim().split('\n').at(-1) ?? '{}')).toMatchObject({
      error: expect.stringContaining('ended failed'),
    });
  });

  it('refuses a test connection whose secret reference lies outside the prefix', async () => {
    const file = join(directory, 'test-connection-outside-prefix.yaml');
    writeFileSync(
      file,
      readFileSync(join(ROOT, 'examples/test-connection.yaml'), 'utf8').replace(
        'secret:/collate/hybrid-ingestion-runner/mysql-prod-password',
        'secret:/other-team/mysql-prod-password',
      ),
    );
    const result = await cli(['collate', 'test-connection', file]);
    expect(result.code).toBe(1);
    const error = JSON.parse(result.stderr.trim().split('\n').at(-1) ?? '{}') as { error?: string };
    expect(error.error).toContain('secret_reference_invalid');
    expect(error.error).toContain('/other-team/mysql-prod-password');
  });

  it('accepts references to a seeded secret and to one stored with `secrets put`, never showing values', async () => {
    const seeded = await cli(['collate', 'test-connection', 'examples/test-connection.yaml']);
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(JSON.parse(seeded.stdout)).toMatchObject({ code: 200, runId: expect.any(String) });

    const put = await cli(['secrets', 'put', `${PREFIX}added-later`], { input: `${PUT_VALUE}\n` });
    expect(put.code, put.stderr).toBe(0);
    const file = join(directory, 'test-connection-added-later.yaml');
    writeFileSync(
      file,
      readFileSync(join(ROOT, 'examples/test-connection.yaml'), 'utf8').replace(
        `secret:${PREFIX}mysql-prod-password`,
        `secret:${PREFIX}added-later`,
      ),
    );
    const later = await cli(['collate', 'test-connection', file]);
    expect(later.code, later.stderr).toBe(0);

    const everything = [
      stage.output(),
      seeded.stdout,
      put.stdout,
      later.stdout,
      // The handlers' lines: in the log file, or in the stage output when LOG_LEVEL routes them there.
      existsSync(join(directory, 'local-stage.log'))
        ? readFileSync(join(directory, 'local-stage.log'), 'utf8')
        : stage.output(),
    ].join('\n');
    expect(everything).not.toContain(SEEDED_VALUE);
    expect(everything).not.toContain(PUT_VALUE);
    expect(stage.output()).toContain('1 seeded');
  });

  it('collate status shows the local stage metrics next to the runner health, in --json too', async () => {
    const status = await cli(['collate', 'status']);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as {
      service: { status: string };
      metrics?: { since: string; metrics: Array<{ name: string; dimensions: Record<string, string> }> };
    };
    expect(report.service.status).toBe('healthy');
    const names = new Set(report.metrics?.metrics.map((metric) => metric.name));
    // Earlier tests connected, ran pipelines and heard heartbeats; the ECR refresh ran at start.
    for (const name of [
      'ConnectionsOpened',
      'Requests',
      'RunsStarted',
      'OpenConnections',
      'EcrRefreshFailed',
    ]) {
      expect(names, `${name} in ${[...names].join(', ')}`).toContain(name);
    }
    expect(report.metrics?.metrics[0]?.dimensions).toMatchObject({
      stage: 'local',
      agentId: 'e2e-local-runner',
    });
    const human = (await cli(['collate', 'status'], { json: false, env: { NO_COLOR: '1' } })).stdout;
    expect(human).toMatch(/metrics since/);
    expect(human).toMatch(/Requests/);
  });

  it('doctor finds every check green against the local stage', async () => {
    const result = await cli(['doctor']);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      checks: Array<{ check: string; status: string }>;
    };
    expect(report.checks.filter((check) => check.status !== 'ok')).toEqual([]);
    expect(report.checks.map((check) => check.check)).toEqual(
      expect.arrayContaining(['cluster reachable', 'permissions', 'argo crds', 'pull secret', 'bridge']),
    );
    expect(result.code).toBe(0);
  });

  it('SIGTERM stops everything: exit 0, no process left, port free, stage file removed', async () => {
    const pid = stage.child.pid as number;
    const children = childProcesses(pid);
    expect(await stage.stop('SIGTERM')).toBe(0);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    for (const child of children) expect(() => process.kill(child, 0)).toThrow();
    expect(await portIsFree(port)).toBe(true);
    expect(existsSync(stage.stageFile)).toBe(false);
    expect(existsSync(join(directory, 'kubeconfig'))).toBe(false);
    expect(stage.output()).toContain('Stopped.');
  });
});
