import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliError } from '@hybrid-runner/cli';
import { EXIT, SANDBOX_SCENARIOS_PATH, writeStageFile } from '@hybrid-runner/cli';
import { runSandboxScenarioCommand } from '../../../../packages/cli/src/commands/sandbox.ts';
import { createOutput } from '../../../../packages/cli/src/output.ts';

const directory = mkdtempSync(join(tmpdir(), 'cli-sandbox-'));
const received: Array<{ authorization?: string; path?: string; body: unknown }> = [];
let answer: { status: number; body: unknown } = { status: 200, body: { ok: true } };
let server: Server;
let controlUrl: string;

beforeAll(async () => {
  server = createServer(async (request: IncomingMessage, response) => {
    let text = '';
    for await (const chunk of request) text += String(chunk);
    received.push({
      authorization: request.headers.authorization,
      path: request.url,
      body: JSON.parse(text),
    });
    response.writeHead(answer.status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  controlUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(directory, { recursive: true, force: true });
});

function stageFile(name: string, sandboxControl?: string): string {
  const path = join(directory, `${name}.json`);
  writeStageFile(path, {
    url: 'ws://127.0.0.1:1',
    agentId: 'a',
    token: 'stage-token',
    pid: 1,
    startedAt: new Date().toISOString(),
    ...(sandboxControl ? { sandboxControl } : {}),
  });
  return path;
}

function output() {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { out: createOutput({ json: true, stdout, stderr: new PassThrough() }), text: () => text };
}

async function failure(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise;
  } catch (error) {
    return error as CliError;
  }
  throw new Error('expected the command to fail');
}

describe('hybrid-runner sandbox scenario', () => {
  it('posts the scenario to the stage control endpoint with the stage token', async () => {
    answer = { status: 200, body: { pipelineFqn: 'svc.p', outcome: 'slow', labelSelector: 'x=y' } };
    const { out, text } = output();
    await runSandboxScenarioCommand({
      request: { pipelineFqn: 'svc.p', outcome: 'slow', durationSeconds: 42 },
      out,
      stageFile: stageFile('with-sandbox', controlUrl),
    });
    expect(received.at(-1)).toEqual({
      authorization: 'Bearer stage-token',
      path: SANDBOX_SCENARIOS_PATH,
      body: { pipelineFqn: 'svc.p', outcome: 'slow', durationSeconds: 42 },
    });
    expect(JSON.parse(text())).toMatchObject({ labelSelector: 'x=y' });
  });

  it('passes a refusal on with its message: 400 is a usage error, others an operation failure', async () => {
    answer = { status: 400, body: { error: 'Bad request: outcome must be one of …' } };
    const file = stageFile('refusing', controlUrl);
    const bad = await failure(
      runSandboxScenarioCommand({
        request: { pipelineFqn: 'p', outcome: 'fail' },
        out: output().out,
        stageFile: file,
      }),
    );
    expect(bad).toMatchObject({ exitCode: EXIT.usage, message: 'Bad request: outcome must be one of …' });
    answer = { status: 500, body: {} };
    const broken = await failure(
      runSandboxScenarioCommand({
        request: { pipelineFqn: 'p', outcome: 'fail' },
        out: output().out,
        stageFile: file,
      }),
    );
    expect(broken).toMatchObject({
      exitCode: EXIT.operationFailed,
      message: 'The sandbox control answered HTTP 500.',
    });
  });

  it('explains a stage without a sandbox (real cluster) and one that is not running', async () => {
    const real = await failure(
      runSandboxScenarioCommand({
        request: { pipelineFqn: 'p', outcome: 'fail' },
        out: output().out,
        stageFile: stageFile('real-cluster'),
      }),
    );
    expect(real).toMatchObject({ exitCode: EXIT.usage, message: expect.stringContaining('real cluster') });
    const gone = await failure(
      runSandboxScenarioCommand({
        request: { pipelineFqn: 'p', outcome: 'fail' },
        out: output().out,
        stageFile: stageFile('stopped', 'http://127.0.0.1:9'),
      }),
    );
    expect(gone).toMatchObject({
      exitCode: EXIT.unreachable,
      message: expect.stringContaining('is npm start still running?'),
    });
  });
});
