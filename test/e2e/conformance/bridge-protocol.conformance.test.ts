// Bridge protocol v1 (../shared/design/bridge-protocol.md) as an unseen Collate client reads it: raw `ws` and
// hand-written JSON, deliberately WITHOUT our BridgeClient or @hybrid-runner/protocol, so a misreading we share
// with our own client cannot hide. It drives the real local stage (startLocalStage: the Lambda handlers behind
// the local API Gateway, the AWS stand-ins, the sandbox Kubernetes emulator with its simulated Argo
// controller). It proves the wire contract as the stage serves it; it cannot prove API Gateway or real Argo.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { startLocalStage, type LocalStage } from '@hybrid-runner/local';
import { logger } from '../../../functions/lib/logger.ts';
import { handshakeStatus } from '../../support/websocket-handshake.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const AGENT_ID = 'conformance-runner';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.conformance-bot-token-never-echoed.c2lnbmF0dXJl';
const PREFIX = '/collate/hybrid-ingestion-runner/';
const SECRET_NAME = `${PREFIX}mysql-password`;
const SECRET_VALUE = 'conformance-secret-value-5e6f7a';
const GOOD = { Authorization: `Bearer ${TOKEN}`, 'X-Agent-Id': AGENT_ID };
const STATES = ['queued', 'running', 'success', 'failed', 'partialSuccess', 'stopped'];
const ERROR_CODES = [
  'bad_request',
  'unknown_operation',
  'unsupported_version',
  'payload_too_large',
  'not_found',
  'conflict',
  'secret_reference_invalid',
  'cluster_unavailable',
  'internal',
];

type Json = Record<string, unknown>;

let directory: string;
let stage: LocalStage;
const saved = { ...process.env };

beforeAll(async () => {
  logger.setLogLevel('CRITICAL');
  // The stage prints its catalog metrics as readable lines (its terminal output); keep them out of the report.
  const print = console.log.bind(console);
  vi.spyOn(console, 'log').mockImplementation((...values: unknown[]) => {
    if (!String(values[0]).startsWith('metric ')) print(...values);
  });
  directory = mkdtempSync(join(tmpdir(), 'conformance-'));
  stage = await startLocalStage({
    agentId: AGENT_ID,
    token: TOKEN,
    port: 0,
    kubeconfigPath: join(directory, 'kubeconfig'),
    cli: { node: process.execPath, script: join(ROOT, 'packages/cli/bin/hybrid-runner.js') },
    heartbeatSeconds: 1,
    seedSecrets: { [SECRET_NAME]: SECRET_VALUE },
    controller: { podRunMs: 200 },
    onTask: () => {},
  });
}, 60_000);

afterAll(async () => {
  await stage?.close();
  vi.restoreAllMocks();
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  rmSync(directory, { recursive: true, force: true });
});

interface Frame {
  text: string;
  binary: boolean;
  json: Json | undefined;
}

/** A client connection that keeps every frame in arrival order, responses and events apart. */
class Client {
  readonly socket: WebSocket;
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data, binary) => {
      const text = data.toString();
      let json: Json | undefined;
      try {
        json = JSON.parse(text) as Json;
      } catch {
        json = undefined;
      }
      this.frames.push({ text, binary, json });
      for (const waiter of this.waiters.splice(0)) waiter();
    });
    this.closed = new Promise((done) =>
      socket.once('close', (code, reason) => done({ code, reason: reason.toString() })),
    );
  }

  static async open(headers: Record<string, string> = GOOD): Promise<Client> {
    const socket = new WebSocket(stage.url, { headers });
    const client = new Client(socket);
    await new Promise<void>((done, fail) => {
      socket.once('open', () => done());
      socket.once('error', fail);
    });
    return client;
  }

  async waitFor(what: string, match: (frame: Frame) => boolean, timeoutMs = 15_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((done) => {
        const timer = setTimeout(done, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          done();
        });
      });
    }
  }

  responses(id: string | null): Json[] {
    return this.frames
      .map((frame) => frame.json)
      .filter((json): json is Json => json?.type === 'response' && json.id === id);
  }

  events(name?: string): Json[] {
    return this.frames
      .map((frame) => frame.json)
      .filter((json): json is Json => json?.type === 'event' && (name === undefined || json.event === name));
  }

  sendText(text: string): void {
    this.socket.send(text);
  }

  /** Sends a request and waits for the response with its id. */
  async request(type: string, payload: unknown, id = nextId()): Promise<Json> {
    this.sendText(JSON.stringify({ v: 1, id, type, payload }));
    return this.response(id);
  }

  async response(id: string | null, timeoutMs = 20_000): Promise<Json> {
    const frame = await this.waitFor(
      `response to ${id}`,
      (candidate) => candidate.json?.type === 'response' && candidate.json.id === id,
      timeoutMs,
    );
    return frame.json as Json;
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close();
    await this.closed;
  }
}

let counter = 0;
function nextId(): string {
  counter += 1;
  return `conf-${Date.now().toString(36)}-${counter}`;
}

let pipelineCounter = 0;
function newPipeline(extra: Json = {}): Json {
  pipelineCounter += 1;
  const name = `conformance_${pipelineCounter}`;
  return { name, fullyQualifiedName: `mysql_conf.${name}`, pipelineType: 'metadata', ...extra };
}

/** Every response has exactly the contract's fields, of the contract's types. */
function expectResponseShape(response: Json, id: string | null, op?: string): void {
  expect(response.v).toBe(1);
  expect(response.id).toBe(id);
  expect(response.type).toBe('response');
  if (op !== undefined) expect(response.op).toBe(op);
  expect(typeof response.ok).toBe('boolean');
  if (response.ok) {
    expect(response.payload).toBeTypeOf('object');
    expect(response).not.toHaveProperty('error');
  } else {
    expect(response).not.toHaveProperty('payload');
    const error = response.error as Json;
    expect(ERROR_CODES).toContain(error.code);
    expect(typeof error.message).toBe('string');
    expect((error.message as string).length).toBeGreaterThan(0);
  }
}

function expectOk(response: Json, op: string): Json {
  expectResponseShape(response, response.id as string, op);
  if (!response.ok) throw new Error(`${op} failed: ${JSON.stringify(response.error)}`);
  return response.payload as Json;
}

function expectError(response: Json, code: string): Json {
  expectResponseShape(response, response.id as string | null);
  expect(response.ok).toBe(false);
  const error = response.error as Json;
  expect(error.code).toBe(code);
  expect(error.message as string).not.toContain(TOKEN);
  expect(error.message as string).not.toContain(SECRET_VALUE);
  return error;
}

function workflowNames(): string[] {
  const cluster = stage.emulator!.cluster;
  return cluster.store
    .list(cluster.resource('argoproj.io', 'workflows'), { namespace: stage.namespace })
    .items.map((item) => (item.metadata as { name: string }).name);
}

/** Scripts the sandbox's simulated Argo controller, as `hybrid-runner sandbox scenario` does. */
async function scriptScenario(request: Json): Promise<void> {
  const response = await fetch(`${stage.sandboxControl}/sandbox/scenarios`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  expect(response.status).toBeLessThan(300);
}

async function waitForPod(workflowName: string): Promise<string> {
  const cluster = stage.emulator!.cluster;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pods = cluster.store.list(cluster.resource('', 'pods'), { namespace: stage.namespace })
      .items as Array<{
      metadata: { name: string; labels?: Record<string, string> };
    }>;
    const pod = pods.find(
      (candidate) => candidate.metadata.labels?.['workflows.argoproj.io/workflow'] === workflowName,
    );
    if (pod) return pod.metadata.name;
    if (Date.now() > deadline) throw new Error(`no pod for ${workflowName}`);
    await sleep(100);
  }
}

const isoDate = (value: unknown) => typeof value === 'string' && !Number.isNaN(Date.parse(value));

describe('transport: handshake (local stage: API Gateway stand-in)', () => {
  it('accepts the right bearer token with the right X-Agent-Id (101)', async () => {
    expect(await handshakeStatus(stage.url, GOOD)).toBe(101);
  });

  it('refuses a missing token with HTTP 401', async () => {
    expect(await handshakeStatus(stage.url, { 'X-Agent-Id': AGENT_ID })).toBe(401);
  });

  it('refuses a wrong token with HTTP 401', async () => {
    expect(
      await handshakeStatus(stage.url, { Authorization: 'Bearer not-the-token', 'X-Agent-Id': AGENT_ID }),
    ).toBe(401);
    expect(await handshakeStatus(stage.url, { Authorization: TOKEN, 'X-Agent-Id': AGENT_ID })).toBe(401);
  });

  it('refuses the right token with another agent id with HTTP 403', async () => {
    expect(await handshakeStatus(stage.url, { ...GOOD, 'X-Agent-Id': 'some-other-agent' })).toBe(403);
    // Our reading: a missing agent id is not this runner's agent id either (the token was right).
    expect(await handshakeStatus(stage.url, { Authorization: GOOD.Authorization })).toBe(403);
  });

  it('accepts no token from the query string', async () => {
    const query = `?token=${encodeURIComponent(TOKEN)}&access_token=${encodeURIComponent(TOKEN)}&Authorization=${encodeURIComponent(`Bearer ${TOKEN}`)}&agentId=${AGENT_ID}`;
    expect(await handshakeStatus(`${stage.url}${query}`, { 'X-Agent-Id': AGENT_ID })).toBe(401);
  });
});

describe('transport: frames (local stage: API Gateway stand-in)', () => {
  it('answers with UTF-8 JSON text frames, one message per frame', async () => {
    const client = await Client.open();
    try {
      const id = nextId();
      client.sendText(JSON.stringify({ v: 1, id, type: 'ping', payload: {} }));
      await client.response(id);
      for (const frame of client.frames) {
        expect(frame.binary).toBe(false);
        expect(frame.json).toBeTypeOf('object');
        // One message per frame: the text is exactly one JSON value.
        expect(JSON.stringify(frame.json)).toBe(JSON.stringify(JSON.parse(frame.text)));
      }
    } finally {
      await client.close();
    }
  });

  it('closes the connection with 1009 on a message above 128 KiB', async () => {
    const client = await Client.open();
    const big = JSON.stringify({
      v: 1,
      id: nextId(),
      type: 'ping',
      payload: { padding: 'x'.repeat(128 * 1024) },
    });
    client.sendText(big);
    expect((await client.closed).code).toBe(1009);
  });

  it('reads a message of exactly 128 KiB', async () => {
    const client = await Client.open();
    try {
      const id = nextId();
      const skeleton = JSON.stringify({ v: 1, id, type: 'ping', payload: { padding: '' } });
      const text = JSON.stringify({
        v: 1,
        id,
        type: 'ping',
        payload: { padding: 'x'.repeat(128 * 1024 - Buffer.byteLength(skeleton)) },
      });
      expect(Buffer.byteLength(text)).toBe(128 * 1024);
      client.sendText(text);
      expectOk(await client.response(id), 'ping');
    } finally {
      await client.close();
    }
  });
});

describe('messages: envelope and ids (local stage: stand-ins, simulated Argo)', () => {
  let client: Client;
  beforeAll(async () => {
    client = await Client.open();
  });
  afterAll(async () => {
    await client.close();
  });

  it.each([
    ['not JSON', 'this is not json'],
    ['JSON without an id', JSON.stringify({ v: 1, type: 'ping', payload: {} })],
    ['a JSON array', '[1,2,3]'],
    ['a JSON string', '"ping"'],
    ['a numeric id', JSON.stringify({ v: 1, id: 42, type: 'ping', payload: {} })],
    ['an empty id', JSON.stringify({ v: 1, id: '', type: 'ping', payload: {} })],
    ['an id of 129 characters', JSON.stringify({ v: 1, id: 'a'.repeat(129), type: 'ping', payload: {} })],
    ['an id with a space', JSON.stringify({ v: 1, id: 'has space', type: 'ping', payload: {} })],
    ['an id with a slash', JSON.stringify({ v: 1, id: 'a/b', type: 'ping', payload: {} })],
  ])('answers %s with bad_request and id null, and stays open', async (_what, text) => {
    const before = client.responses(null).length;
    client.sendText(text);
    await client.waitFor('the id-null response', () => client.responses(null).length > before);
    const response = client.responses(null)[before] as Json;
    expect(response).toMatchObject({ v: 1, id: null, type: 'response', ok: false });
    expectError(response, 'bad_request');
    // Still open: the next request is answered.
    expectOk(await client.request('ping', {}), 'ping');
  });

  it('accepts ids of 1 and 128 characters using every allowed character class', async () => {
    for (const id of ['a', `Az09._:-${'x'.repeat(120)}`]) {
      expect(id.length === 1 || id.length === 128).toBe(true);
      const response = await client.request('ping', {}, id);
      expectResponseShape(response, id, 'ping');
      expect(response.ok).toBe(true);
    }
  });

  it('answers every request exactly once, on the same connection, with v, id, type, op, ok, payload', async () => {
    const other = await Client.open();
    try {
      const ids = Array.from({ length: 5 }, () => nextId());
      for (const id of ids) client.sendText(JSON.stringify({ v: 1, id, type: 'ping', payload: {} }));
      for (const id of ids) expectOk(await client.response(id), 'ping');
      await sleep(300);
      for (const id of ids) {
        expect(client.responses(id)).toHaveLength(1);
        expect(other.responses(id)).toHaveLength(0);
      }
      const response = client.responses(ids[0] as string)[0] as Json;
      expect(Object.keys(response).sort()).toEqual(['id', 'ok', 'op', 'payload', 'type', 'v']);
    } finally {
      await other.close();
    }
  });

  it('an error response has v, id, type, op, ok:false and error{code,message}', async () => {
    const id = nextId();
    const response = await client.request(
      'runPipeline',
      { pipeline: { name: 'x', pipelineType: 'metadata' } },
      id,
    );
    expect(Object.keys(response).sort()).toEqual(['error', 'id', 'ok', 'op', 'type', 'v']);
    expect(response).toMatchObject({ v: 1, id, type: 'response', op: 'runPipeline', ok: false });
    const error = expectError(response, 'bad_request');
    // The contract's own example message.
    expect(error.message).toContain('payload.pipeline.fullyQualifiedName is required');
  });

  it('answers an unknown type with unknown_operation', async () => {
    const response = await client.request('launchRocket', {});
    expectError(response, 'unknown_operation');
  });

  it('answers another protocol version with unsupported_version', async () => {
    const id = nextId();
    client.sendText(JSON.stringify({ v: 2, id, type: 'ping', payload: {} }));
    expectError(await client.response(id), 'unsupported_version');
  });

  it('a missing payload on ping is still a request (payload {} is the default)', async () => {
    const id = nextId();
    client.sendText(JSON.stringify({ v: 1, id, type: 'ping' }));
    expectResponseShape(await client.response(id), id, 'ping');
  });
});

describe('operations (local stage: stand-ins, sandbox emulator, simulated Argo)', () => {
  let client: Client;
  beforeAll(async () => {
    client = await Client.open();
  });
  afterAll(async () => {
    await client.close();
  });

  it('ping → { pong: true, agentId, version }', async () => {
    const payload = expectOk(await client.request('ping', {}), 'ping');
    expect(payload.pong).toBe(true);
    expect(payload.agentId).toBe(AGENT_ID);
    expect(typeof payload.version).toBe('string');
  });

  it('getServiceStatus → { code: 200, status, platform: "Argo", version }', async () => {
    const payload = expectOk(await client.request('getServiceStatus', {}), 'getServiceStatus');
    expect(payload.code).toBe(200);
    expect(['healthy', 'unhealthy']).toContain(payload.status);
    expect(payload.status).toBe('healthy');
    expect(payload.platform).toBe('Argo');
    expect(typeof payload.version).toBe('string');
    if ('reason' in payload) expect(typeof payload.reason).toBe('string');
  });

  it('the pipeline lifecycle: deploy, run, status, logs, kill, toggle, delete', async () => {
    const pipeline = newPipeline({
      airflowConfig: { scheduleInterval: '@daily', pipelineTimezone: 'Europe/Paris' },
      // Unknown fields are allowed and ignored.
      owners: [{ name: 'someone' }],
      sourceConfig: { config: { type: 'DatabaseMetadata' } },
      deployed: false,
    });
    const deployed = expectOk(
      await client.request('deployPipeline', {
        pipeline,
        workflowConfig: { source: { type: 'mysql', password: `secret:${SECRET_NAME}` } },
        extraTopLevelField: 'ignored',
      }),
      'deployPipeline',
    );
    expect(deployed.code).toBe(200);
    expect(deployed.platform).toBe('Argo');

    const run = expectOk(await client.request('runPipeline', { pipeline }), 'runPipeline');
    expect(run.code).toBe(200);
    expect(typeof run.runId).toBe('string');
    expect(typeof run.workflowName).toBe('string');
    expect(workflowNames()).toContain(run.workflowName);

    // Wait for the simulated run to finish, then read its status and logs.
    let runs: Json[] = [];
    const deadline = Date.now() + 15_000;
    for (;;) {
      const status = expectOk(await client.request('getPipelineStatus', { pipeline }), 'getPipelineStatus');
      runs = status.runs as Json[];
      if (runs[0] && ['success', 'failed'].includes(runs[0].pipelineState as string)) break;
      if (Date.now() > deadline) throw new Error(`run did not finish: ${JSON.stringify(runs)}`);
      await sleep(200);
    }
    const first = runs[0] as Json;
    expect(first.runId).toBe(run.runId);
    expect(first.workflowName).toBe(run.workflowName);
    expect(STATES).toContain(first.pipelineState);
    expect(typeof first.timestamp).toBe('number');
    for (const key of ['startDate', 'endDate']) if (key in first) expect(typeof first[key]).toBe('number');
    if ('reason' in first) expect(typeof first.reason).toBe('string');
    for (const key of Object.keys(first))
      expect([
        'runId',
        'pipelineState',
        'startDate',
        'endDate',
        'timestamp',
        'workflowName',
        'reason',
      ]).toContain(key);

    const logs = expectOk(
      await client.request('getIngestionLogs', { pipeline, runId: run.runId }),
      'getIngestionLogs',
    );
    expect(typeof logs.total).toBe('number');
    expect(logs.total).toBeGreaterThanOrEqual(1);
    const taskKeys = Object.keys(logs).filter((key) => key !== 'total' && key !== 'after');
    expect(taskKeys.length).toBeGreaterThan(0);
    for (const key of taskKeys) expect(typeof logs[key]).toBe('string');
    if (logs.total === 1) expect(logs).not.toHaveProperty('after');
    // Without runId: the latest run's logs.
    const latest = expectOk(await client.request('getIngestionLogs', { pipeline }), 'getIngestionLogs');
    expect(latest.ingestion_task).toBe(logs.ingestion_task);

    const killed = expectOk(
      await client.request('killIngestion', { pipeline, runId: run.runId }),
      'killIngestion',
    );
    expect(killed.code).toBe(200);
    const toggled = expectOk(
      await client.request('toggleIngestion', { pipeline: { ...pipeline, enabled: false } }),
      'toggleIngestion',
    );
    expect(toggled.code).toBe(200);
    const cron = stage.emulator!.cluster;
    const cronWorkflows = cron.store.list(cron.resource('argoproj.io', 'cronworkflows'), {
      namespace: stage.namespace,
    }).items as Array<{ spec: { suspend?: boolean } }>;
    expect(cronWorkflows.some((item) => item.spec.suspend === true)).toBe(true);
    const deleted = expectOk(await client.request('deletePipeline', { pipeline }), 'deletePipeline');
    expect(deleted.code).toBe(200);
  });

  it('getPipelineStatus lists runs newest first and honours limit', async () => {
    const pipeline = newPipeline();
    expectOk(
      await client.request('deployPipeline', { pipeline, workflowConfig: '{"source":{}}' }),
      'deployPipeline',
    );
    const started: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      started.push(
        expectOk(await client.request('runPipeline', { pipeline }), 'runPipeline').runId as string,
      );
      await sleep(1100);
    }
    const all = expectOk(await client.request('getPipelineStatus', { pipeline }), 'getPipelineStatus')
      .runs as Json[];
    expect(all.map((run) => run.runId)).toEqual([...started].reverse());
    const timestamps = all.map((run) => run.timestamp as number);
    expect([...timestamps].sort((a, b) => b - a)).toEqual(timestamps);
    const limited = expectOk(
      await client.request('getPipelineStatus', { pipeline, limit: 2 }),
      'getPipelineStatus',
    ).runs as Json[];
    expect(limited.map((run) => run.runId)).toEqual([started[2], started[1]]);
  });

  it('runPipeline with a caller runId uses it', async () => {
    const pipeline = newPipeline();
    expectOk(await client.request('deployPipeline', { pipeline, workflowConfig: {} }), 'deployPipeline');
    const runId = '7d6c1a8e-0b5f-4d8e-9a3b-2f1e0c9d8b7a';
    const run = expectOk(await client.request('runPipeline', { pipeline, runId }), 'runPipeline');
    expect(run.runId).toBe(runId);
  });

  it('runAutomationsWorkflow and runApplicationFlow → { code: 200, runId, workflowName }', async () => {
    const automation = expectOk(
      await client.request('runAutomationsWorkflow', {
        workflow: {
          id: 'c1d2e3f4-0000-4000-8000-000000000001',
          name: 'test-connection-mysql',
          workflowType: 'TEST_CONNECTION',
          request: { connection: { config: { type: 'Mysql', password: `secret:${SECRET_NAME}` } } },
          unknownField: true,
        },
      }),
      'runAutomationsWorkflow',
    );
    expect(automation.code).toBe(200);
    expect(typeof automation.runId).toBe('string');
    expect(workflowNames()).toContain(automation.workflowName);
    const application = expectOk(
      await client.request('runApplicationFlow', {
        application: { name: 'DataInsightsApplication', extra: 1 },
      }),
      'runApplicationFlow',
    );
    expect(application.code).toBe(200);
    expect(typeof application.runId).toBe('string');
    expect(workflowNames()).toContain(application.workflowName);
  });

  it('a repeated id within 24 h gets the identical first response and runs once', async () => {
    const pipeline = newPipeline();
    expectOk(await client.request('deployPipeline', { pipeline, workflowConfig: {} }), 'deployPipeline');
    const before = workflowNames().length;
    const id = nextId();
    const text = JSON.stringify({ v: 1, id, type: 'runPipeline', payload: { pipeline } });
    client.sendText(text);
    await client.response(id);
    // The retry may come on a new connection (Collate reconnected).
    const again = await Client.open();
    try {
      again.sendText(text);
      const second = await again.response(id);
      const firstFrame = client.frames.find((frame) => frame.json?.id === id) as Frame;
      const secondFrame = again.frames.find((frame) => frame.json?.id === id) as Frame;
      expect(secondFrame.text).toBe(firstFrame.text);
      expect(second.ok).toBe(true);
      expect(workflowNames().length).toBe(before + 1);
    } finally {
      await again.close();
    }
  });

  it('the same id reused for a different request is a conflict', async () => {
    const id = nextId();
    expectOk(await client.request('ping', {}, id), 'ping');
    const before = client.responses(id).length;
    client.sendText(JSON.stringify({ v: 1, id, type: 'getServiceStatus', payload: {} }));
    await client.waitFor('the second response', () => client.responses(id).length > before);
    expectError(client.responses(id)[before] as Json, 'conflict');
  });

  it('not_found for a run that does not exist', async () => {
    const pipeline = newPipeline();
    expectOk(await client.request('deployPipeline', { pipeline, workflowConfig: {} }), 'deployPipeline');
    expectError(
      await client.request('getIngestionLogs', { pipeline, runId: '00000000-0000-4000-8000-00000000dead' }),
      'not_found',
    );
  });

  it('P without name, fullyQualifiedName or pipelineType is bad_request naming the field', async () => {
    for (const missing of ['name', 'fullyQualifiedName', 'pipelineType']) {
      const pipeline = newPipeline();
      delete pipeline[missing];
      const error = expectError(await client.request('runPipeline', { pipeline }), 'bad_request');
      expect(error.message).toContain(missing);
    }
  });

  it('a bad scheduleInterval is bad_request; the documented shorthands are accepted', async () => {
    for (const scheduleInterval of ['@hourly', '@daily', '@weekly', '@monthly', '@yearly', '*/15 * * * *']) {
      const pipeline = newPipeline({ airflowConfig: { scheduleInterval } });
      expectOk(await client.request('deployPipeline', { pipeline, workflowConfig: {} }), 'deployPipeline');
    }
    const pipeline = newPipeline({ airflowConfig: { scheduleInterval: 'every tuesday' } });
    expectError(await client.request('deployPipeline', { pipeline, workflowConfig: {} }), 'bad_request');
  });

  it('secret references outside the prefix or missing → secret_reference_invalid naming field and reference', async () => {
    const outside = 'secret:/elsewhere/db-password';
    const error = expectError(
      await client.request('deployPipeline', {
        pipeline: newPipeline(),
        workflowConfig: { source: { password: outside } },
      }),
      'secret_reference_invalid',
    );
    expect(error.message).toContain('/elsewhere/db-password');
    expect(error.message).toContain('password');

    const missing = `secret:${PREFIX}does-not-exist`;
    const missingError = expectError(
      await client.request('runAutomationsWorkflow', {
        workflow: {
          id: 'w-missing',
          name: 'test-missing',
          workflowType: 'TEST_CONNECTION',
          request: { connection: { config: { password: missing } } },
        },
      }),
      'secret_reference_invalid',
    );
    expect(missingError.message).toContain(`${PREFIX}does-not-exist`);
    expect(missingError.message).toContain('password');
  });

  it('getIngestionLogs chunks a long log under 128 KiB per message: after on all but the last, total', async () => {
    const pipeline = newPipeline();
    expectOk(await client.request('deployPipeline', { pipeline, workflowConfig: {} }), 'deployPipeline');
    const run = expectOk(await client.request('runPipeline', { pipeline }), 'runPipeline');
    const cluster = stage.emulator!.cluster;
    const podName = await waitForPod(run.workflowName as string);
    // A log far above one message: 300 KiB of lines, with a marker at the very end.
    const line = `${'INFO ingesting table '.padEnd(99, '.')}\n`;
    cluster.logs.append(stage.namespace, podName, 'main', line.repeat(3000) + 'LAST-LINE-MARKER\n');
    const texts: string[] = [];
    let after: string | undefined;
    let total: number | undefined;
    for (let page = 0; page < 20; page += 1) {
      const id = nextId();
      const payload = { pipeline, runId: run.runId, ...(after ? { after } : {}) };
      client.sendText(JSON.stringify({ v: 1, id, type: 'getIngestionLogs', payload }));
      const response = await client.response(id);
      const frame = client.frames.find((candidate) => candidate.json?.id === id) as Frame;
      expect(Buffer.byteLength(frame.text)).toBeLessThanOrEqual(128 * 1024);
      const logs = expectOk(response, 'getIngestionLogs');
      texts.push(logs.ingestion_task as string);
      total ??= logs.total as number;
      expect(logs.total).toBe(total);
      after = logs.after as string | undefined;
      if (after === undefined) break;
      expect(typeof after).toBe('string');
    }
    expect(after).toBeUndefined();
    expect(total).toBeGreaterThanOrEqual(3);
    expect(texts).toHaveLength(total as number);
    expect(texts.join('')).toContain('LAST-LINE-MARKER');
  });
});

describe('run control (local stage: sandbox emulator, simulated Argo)', () => {
  let client: Client;
  beforeAll(async () => {
    client = await Client.open();
  });
  afterAll(async () => {
    await client.close();
  });

  it('a duplicate sent before the first is answered still starts one run, both answers identical', async () => {
    const pipeline = newPipeline();
    expectOk(await client.request('deployPipeline', { pipeline, workflowConfig: {} }), 'deployPipeline');
    const before = workflowNames().length;
    const id = nextId();
    const text = JSON.stringify({ v: 1, id, type: 'runPipeline', payload: { pipeline } });
    client.sendText(text);
    client.sendText(text);
    await client.waitFor('both responses', () => client.responses(id).length === 2);
    const [first, second] = client.frames.filter((frame) => frame.json?.id === id);
    expect(second?.text).toBe(first?.text);
    expect(first?.json?.ok).toBe(true);
    expect(workflowNames().length).toBe(before + 1);
  });

  it('killIngestion stops a running run: pipelineStatus event and status say stopped', async () => {
    const pipeline = newPipeline();
    const fqn = pipeline.fullyQualifiedName as string;
    await scriptScenario({ pipelineFqn: fqn, outcome: 'slow', durationSeconds: 120 });
    expectOk(await client.request('deployPipeline', { pipeline, workflowConfig: {} }), 'deployPipeline');
    const run = expectOk(await client.request('runPipeline', { pipeline }), 'runPipeline');
    await client.waitFor(
      'the run to be reported running',
      (f) =>
        f.json?.event === 'pipelineStatus' &&
        (f.json.payload as Json).runId === run.runId &&
        (f.json.payload as Json).pipelineState === 'running',
      20_000,
    );
    const killed = expectOk(await client.request('killIngestion', { pipeline }), 'killIngestion');
    expect(killed.code).toBe(200);
    const event = await client.waitFor(
      'a stopped pipelineStatus event',
      (f) =>
        f.json?.event === 'pipelineStatus' &&
        (f.json.payload as Json).runId === run.runId &&
        (f.json.payload as Json).pipelineState === 'stopped',
      20_000,
    );
    expect((event.json?.payload as Json).pipelineFQN).toBe(fqn);
    const runs = expectOk(await client.request('getPipelineStatus', { pipeline }), 'getPipelineStatus')
      .runs as Json[];
    expect(runs[0]).toMatchObject({ runId: run.runId, pipelineState: 'stopped' });
  }, 45_000);

  it('toggleIngestion follows P.enabled: false suspends the schedule, true resumes it', async () => {
    const pipeline = newPipeline({ airflowConfig: { scheduleInterval: '0 * * * *' } });
    expectOk(await client.request('deployPipeline', { pipeline, workflowConfig: {} }), 'deployPipeline');
    const cluster = stage.emulator!.cluster;
    const suspended = () =>
      (
        cluster.store.list(cluster.resource('argoproj.io', 'cronworkflows'), { namespace: stage.namespace })
          .items as Array<{ spec: { suspend?: boolean }; metadata: { labels?: Record<string, string> } }>
      ).filter((item) => JSON.stringify(item).includes(pipeline.name as string));
    expectOk(
      await client.request('toggleIngestion', { pipeline: { ...pipeline, enabled: false } }),
      'toggleIngestion',
    );
    expect(suspended().map((item) => item.spec.suspend)).toEqual([true]);
    expectOk(
      await client.request('toggleIngestion', { pipeline: { ...pipeline, enabled: true } }),
      'toggleIngestion',
    );
    expect(suspended().map((item) => item.spec.suspend ?? false)).toEqual([false]);
  });
});

describe('cluster_unavailable (local stage: stand-ins, sandbox emulator)', () => {
  it('answers cluster_unavailable when the Kubernetes API keeps failing, and keeps the connection', async () => {
    const client = await Client.open();
    const fault = stage.emulator!.faults.inject({ kind: 'status', status: 503 });
    try {
      const response = await client.request('getPipelineStatus', { pipeline: newPipeline() });
      expectError(response, 'cluster_unavailable');
      // The health question is answered, not failed: unhealthy, with a reason for people.
      const health = expectOk(await client.request('getServiceStatus', {}), 'getServiceStatus');
      expect(health).toMatchObject({ code: 200, status: 'unhealthy', platform: 'Argo' });
      expect(typeof health.reason).toBe('string');
    } finally {
      fault.remove();
    }
    try {
      expectOk(await client.request('ping', {}), 'ping');
    } finally {
      await client.close();
    }
  }, 60_000);
});

describe('events (local stage: stand-ins, simulated Argo)', () => {
  it('runnerStatus reaches every open connection on the heartbeat, without id', async () => {
    const first = await Client.open();
    const second = await Client.open();
    try {
      for (const client of [first, second]) {
        // A beat that went out before the second client connected counts one connection, and under load a beat
        // may skip the expiry read (it has a 3 s budget): wait for one sent after both were open.
        const frame = await client.waitFor(
          'a runnerStatus event counting both connections',
          (f) => {
            const payload = (f.json?.payload ?? {}) as Json;
            return (
              f.json?.event === 'runnerStatus' &&
              (payload.connections as number) >= 2 &&
              payload.ecrCredentialsExpireAt !== undefined
            );
          },
          20_000,
        );
        const event = frame.json as Json;
        expect(Object.keys(event).sort()).toEqual(['event', 'payload', 'type', 'v']);
        expect(event).toMatchObject({ v: 1, type: 'event', event: 'runnerStatus' });
        const payload = event.payload as Json;
        expect(payload.agentId).toBe(AGENT_ID);
        expect(payload.status).toBe('active');
        expect(typeof payload.version).toBe('string');
        expect(Number.isInteger(payload.connections)).toBe(true);
        expect(payload.connections as number).toBeGreaterThanOrEqual(2);
        // The local stage refreshes the registry credentials at start, so their expiry is known.
        expect(isoDate(payload.ecrCredentialsExpireAt)).toBe(true);
        for (const key of Object.keys(payload))
          expect(['agentId', 'status', 'version', 'connections', 'ecrCredentialsExpireAt']).toContain(key);
      }
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('pipelineStatus reports a run changing state, including one that never starts', async () => {
    const client = await Client.open();
    try {
      const pipeline = newPipeline();
      const fqn = pipeline.fullyQualifiedName as string;
      await scriptScenario({ pipelineFqn: fqn, outcome: 'image-pull-error' });
      expectOk(await client.request('deployPipeline', { pipeline, workflowConfig: {} }), 'deployPipeline');
      const run = expectOk(await client.request('runPipeline', { pipeline }), 'runPipeline');
      const frame = await client.waitFor(
        'a pipelineStatus event for the run',
        (f) =>
          f.json?.event === 'pipelineStatus' &&
          (f.json.payload as Json).runId === run.runId &&
          ['failed'].includes((f.json.payload as Json).pipelineState as string),
        20_000,
      );
      const event = frame.json as Json;
      expect(Object.keys(event).sort()).toEqual(['event', 'payload', 'type', 'v']);
      const payload = event.payload as Json;
      expect(payload.pipelineFQN).toBe(fqn);
      expect(payload.workflowName).toBe(run.workflowName);
      expect(STATES).toContain(payload.pipelineState);
      expect(typeof payload.timestamp).toBe('number');
      if ('reason' in payload) expect(typeof payload.reason).toBe('string');
      for (const key of Object.keys(payload))
        expect(['pipelineFQN', 'runId', 'pipelineState', 'workflowName', 'reason', 'timestamp']).toContain(
          key,
        );
      for (const other of client.events('pipelineStatus'))
        expect(STATES).toContain((other.payload as Json).pipelineState);
    } finally {
      await client.close();
    }
  }, 40_000);
});
