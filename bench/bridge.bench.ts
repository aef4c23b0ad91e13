// Bridge benchmarks (figures, never pass/fail; each against a baseline measured in the same run):
// 1. warm overhead of the $default handler with I/O faked out (in-memory stores, instant operations,
//    no-op sender) vs. the protocol work it cannot avoid (parseFrame + serializeBounded);
// 2. local end-to-end round trip (real handlers, local API Gateway, dynalite, management API over HTTP)
//    with 50 concurrent clients vs. a bare `ws` echo server under the same load;
// 3. bundle size and cold import time of each bridge function built with the stack's options
//    (functions/lib/bundling.ts) vs. an unsplit bundle holding all three handlers with the SDK bundled;
// 4. the per-connection rate limit's DynamoDB check (admitted, and throttled) on dynalite vs. the
//    idempotency claim every request already makes on the same dynalite.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { WebSocket, WebSocketServer } from 'ws';
import {
  DynamoDbConnectionRateLimiter,
  DynamoDbConnectionStore,
  DynamoDbCursorStore,
  DynamoDbIdempotencyStore,
  connectAuthorizer,
} from '@hybrid-runner/aws';
import { defaultRunnerSettings, type Operations, type Sender } from '@hybrid-runner/core';
import {
  InMemoryConnectionStore,
  InMemoryCursorStore,
  InMemoryIdempotencyStore,
  startLocalApiGateway,
} from '@hybrid-runner/local';
import { createMetrics } from '@hybrid-runner/observability';
import { okResponse, parseFrame, serializeBounded } from '@hybrid-runner/protocol';
import { handler as connect } from '../functions/bridge/connect.ts';
import { handler as disconnect } from '../functions/bridge/disconnect.ts';
import { handler as message } from '../functions/bridge/message.ts';
import { configureBridge } from '../functions/lib/bridge-context.ts';
import {
  CONNECTION_BUNDLE_BUDGET_BYTES,
  CONNECTION_COLD_IMPORT_BUDGET_MS,
  RUNTIME_SDK_FUNCTIONS,
  SST_BUILD_OPTIONS,
  esbuildOptionsFor,
  type BundledFunction,
} from '../functions/lib/bundling.ts';
import { logger } from '../functions/lib/logger.ts';
import { configureRunner } from '../functions/lib/runner-context.ts';
import { FakeCluster } from '../test/support/fake-cluster.ts';
import { TEST_CREDENTIALS, startDynalite } from '../test/support/dynalite.ts';
import { measure, printFigures, printRatio, type Figures } from './lib.ts';

const REPO = join(import.meta.dirname, '..');
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.benchmark-bot-token.c2lnbmF0dXJl';
const AGENT_ID = 'bench';
logger.setLogLevel(process.env.POWERTOOLS_LOG_LEVEL ? 'DEBUG' : 'SILENT');
/** Recorded as in Lambda (the handlers' metric work is part of what is measured), printed nowhere. */
const benchMetrics = createMetrics({ stage: 'bench', agentId: AGENT_ID, sink: () => undefined });

const pong = { pong: true as const, agentId: AGENT_ID, version: '0.1.0' };
const instantOperations = new Proxy({} as Operations, {
  get: (_target, op) => (op === 'ping' ? async () => pong : async () => ({ code: 200 })),
});

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

function figures(name: string, samples: number[], totalMs: number): Figures {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    name,
    samples: sorted.length,
    medianMs: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    opsPerSecond: (sorted.length / totalMs) * 1000,
  };
}

// ---------------------------------------------------------------------------------------------------
// 1. Warm handler overhead, I/O faked.

async function warmOverhead(): Promise<void> {
  const noSend: Sender = { send: async () => 'sent' };
  configureBridge({
    metrics: benchMetrics,
    agentId: AGENT_ID,
    runnerVersion: '0.1.0',
    connections: new InMemoryConnectionStore(),
    authorizer: connectAuthorizer({ token: async () => TOKEN, agentId: AGENT_ID }),
    sender: noSend,
  });
  configureRunner({
    metrics: benchMetrics,
    settings: defaultRunnerSettings({ agentId: AGENT_ID }),
    cluster: new FakeCluster(),
    idempotency: new InMemoryIdempotencyStore(),
    cursor: new InMemoryCursorStore(),
    operations: instantOperations,
    botToken: async () => TOKEN,
  });
  let sequence = 0;
  const event = () => {
    const id = `warm-${++sequence}`;
    return {
      requestContext: {
        routeKey: '$default',
        eventType: 'MESSAGE' as const,
        connectionId: 'bench-connection',
        domainName: 'bench.execute-api.eu-west-1.amazonaws.com',
        stage: 'bench',
        apiId: 'bench',
        requestId: id,
        requestTimeEpoch: Date.now(),
        identity: { sourceIp: '127.0.0.1' },
      },
      body: JSON.stringify({ v: 1, id, type: 'ping', payload: {} }),
      isBase64Encoded: false,
    };
  };
  const context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:bench',
    memoryLimitInMB: '512',
    awsRequestId: 'bench',
    logGroupName: 'bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 29_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
  const baseline = await measure(
    'protocol floor: parseFrame + serializeBounded',
    () => {
      const parsed = parseFrame(event().body);
      if (!parsed.ok) throw new Error('bench frame rejected');
      return serializeBounded(okResponse(parsed.request.id, 'ping', pong));
    },
    { samples: 10_000, warmup: 1000 },
  );
  const handler = await measure(
    '$default handler (middy, idempotency, dispatch, send; I/O faked)',
    () => message(event(), context),
    {
      samples: 10_000,
      warmup: 1000,
    },
  );
  printFigures('Warm $default overhead, 10,000 requests, I/O faked', [baseline, handler]);
  printRatio('handler p50', handler.medianMs * 1000, 'protocol floor p50', baseline.medianMs * 1000, 'µs');
  printRatio('handler p99', handler.p99Ms * 1000, 'protocol floor p99', baseline.p99Ms * 1000, 'µs');
  configureBridge(undefined);
  configureRunner(undefined);
}

// ---------------------------------------------------------------------------------------------------
// 2. Local end-to-end round trip, 50 concurrent clients.

const CLIENTS = 50;
const REQUESTS_PER_CLIENT = Number(process.env.BRIDGE_BENCH_REQUESTS ?? 40);

async function roundTrips(url: string, headers: Record<string, string>, label: string): Promise<Figures> {
  const sockets = await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const socket = new WebSocket(url, { headers });
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      return socket;
    }),
  );
  const samples: number[] = [];
  const began = performance.now();
  await Promise.all(
    sockets.map(async (socket, c) => {
      for (let r = 0; r < REQUESTS_PER_CLIENT; r++) {
        const id = `rt-${c}-${r}-${Math.random().toString(36).slice(2)}`;
        const t0 = performance.now();
        await new Promise<void>((resolve) => {
          const onMessage = (data: Buffer) => {
            if (!data.toString().includes(id)) return;
            socket.off('message', onMessage);
            resolve();
          };
          socket.on('message', onMessage);
          socket.send(JSON.stringify({ v: 1, id, type: 'ping', payload: {} }));
        });
        samples.push(performance.now() - t0);
      }
    }),
  );
  const total = performance.now() - began;
  await Promise.all(
    sockets.map((socket) => new Promise((resolve) => (socket.close(), socket.once('close', resolve)))),
  );
  return figures(label, samples, total);
}

async function endToEnd(): Promise<void> {
  const echo = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  echo.on('connection', (socket) => socket.on('message', (data) => socket.send(data.toString())));
  await new Promise((resolve) => echo.once('listening', resolve));
  const echoAddress = echo.address() as { port: number };
  const baseline = await roundTrips(`ws://127.0.0.1:${echoAddress.port}`, {}, 'bare ws echo server');
  for (const client of echo.clients) client.terminate();
  echo.close();

  const rows = [baseline];
  // In-memory stores isolate the gateway, handlers and management API; dynalite adds DynamoDB's wire cost.
  for (const stores of ['in-memory', 'dynalite'] as const) {
    const db = stores === 'dynalite' ? await startDynalite() : undefined;
    const gateway = await startLocalApiGateway({
      handlers: { connect, disconnect, message },
      onHandlerError: (route, error) => console.error(route, error),
    });
    configureBridge({
      metrics: benchMetrics,
      agentId: AGENT_ID,
      runnerVersion: '0.1.0',
      connections: db
        ? new DynamoDbConnectionStore({ client: db.client, tableName: db.connectionsTable })
        : new InMemoryConnectionStore(),
      authorizer: connectAuthorizer({ token: async () => TOKEN, agentId: AGENT_ID }),
      managementEndpoint: gateway.managementEndpoint,
      management: { region: 'eu-west-1', credentials: TEST_CREDENTIALS },
    });
    configureRunner({
      metrics: benchMetrics,
      settings: defaultRunnerSettings({ agentId: AGENT_ID }),
      cluster: new FakeCluster(),
      idempotency: db
        ? new DynamoDbIdempotencyStore({ client: db.client, tableName: db.stateTable })
        : new InMemoryIdempotencyStore(),
      cursor: db
        ? new DynamoDbCursorStore({ client: db.client, tableName: db.stateTable })
        : new InMemoryCursorStore(),
      operations: instantOperations,
      botToken: async () => TOKEN,
    });
    rows.push(
      await roundTrips(
        gateway.url,
        { Authorization: `Bearer ${TOKEN}`, 'X-Agent-Id': AGENT_ID },
        `local stage ping, ${stores} stores (handlers + management API over HTTP)`,
      ),
    );
    await gateway.close();
    configureBridge(undefined);
    configureRunner(undefined);
    await db?.close();
  }
  printFigures(
    `Local end-to-end round trip, ${CLIENTS} concurrent clients × ${REQUESTS_PER_CLIENT} requests`,
    rows,
  );
  for (const row of rows.slice(1)) {
    printRatio(`${row.name} p50`, row.medianMs, 'bare ws p50', baseline.medianMs, 'ms');
    printRatio(`${row.name} p99`, row.p99Ms, 'bare ws p99', baseline.p99Ms, 'ms');
  }
}

// ---------------------------------------------------------------------------------------------------
// 3. Bundles: size and cold import time.

interface BundleCase {
  name: string;
  /** The function whose stack options apply (the unsplit bundle has none: SDK bundled, as before the split). */
  options: BundledFunction | undefined;
  contents: string;
}

const BUNDLES: BundleCase[] = [
  {
    name: 'connect',
    options: 'connect',
    contents: "export { handler } from './functions/bridge/connect.ts';",
  },
  {
    name: 'disconnect',
    options: 'disconnect',
    contents: "export { handler } from './functions/bridge/disconnect.ts';",
  },
  {
    name: 'message',
    options: 'message',
    contents: "export { handler } from './functions/bridge/message.ts';",
  },
  {
    name: 'connect, SDK bundled',
    options: undefined,
    contents: "export { handler } from './functions/bridge/connect.ts';",
  },
  {
    name: 'unsplit (all three, SDK bundled)',
    options: undefined,
    contents:
      "export { handler as connect } from './functions/bridge/connect.ts';\n" +
      "export { handler as disconnect } from './functions/bridge/disconnect.ts';\n" +
      "export { handler as message } from './functions/bridge/message.ts';",
  },
];

const COLD_IMPORT_SAMPLES = 7;

/** Median import time of a module, each sample in a fresh Node process (nothing cached but the OS's files). */
function coldImportMs(file: string, runs = COLD_IMPORT_SAMPLES): number {
  const script =
    `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); ` +
    'process.stdout.write(String(performance.now() - t));';
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, AWS_REGION: 'eu-west-1' },
    });
    if (result.status !== 0) throw new Error(`importing ${file} failed: ${result.stderr}`);
    times.push(Number(result.stdout));
  }
  return quantile(
    times.sort((a, b) => a - b),
    0.5,
  );
}

async function bundles(): Promise<void> {
  // Inside the repo so a bundle with an external SDK resolves it from node_modules, as on Lambda from the runtime.
  const outDir = join(REPO, 'node_modules', '.cache', 'bridge-bench');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const emptyFile = join(outDir, 'empty.mjs');
  await esbuild.build({
    stdin: { contents: 'export {};' },
    outfile: emptyFile,
    format: 'esm',
    logLevel: 'error',
  });
  const emptyMs = coldImportMs(emptyFile);
  console.log(
    `\n## Bridge bundles as the stack builds them (esbuild ${esbuild.version}, functions/lib/bundling.ts: ESM, minified, platform node, target node24; Node ${process.version})`,
  );
  console.log(`Baseline: cold import of an empty module ${emptyMs.toFixed(1)} ms.`);
  console.log(
    `| bundle | SDK | size KiB | cold import ms (median of ${COLD_IMPORT_SAMPLES}, fresh process each) | budget ≤ ${CONNECTION_BUNDLE_BUDGET_BYTES / 1024} KiB, ≤ ${CONNECTION_COLD_IMPORT_BUDGET_MS} ms |`,
  );
  console.log('|---|---|---:|---:|---|');
  const measured = new Map<string, { kib: number; ms: number }>();
  for (const [index, bundle] of BUNDLES.entries()) {
    const outfile = join(outDir, `${index}.mjs`);
    const external = bundle.options ? esbuildOptionsFor(bundle.options).external : [];
    await esbuild.build({
      ...SST_BUILD_OPTIONS,
      mainFields: [...SST_BUILD_OPTIONS.mainFields],
      external,
      stdin: { contents: bundle.contents, resolveDir: REPO, loader: 'ts', sourcefile: `${index}.ts` },
      outfile,
      logLevel: 'error',
    });
    const kib = statSync(outfile).size / 1024;
    const ms = coldImportMs(outfile);
    measured.set(bundle.name, { kib, ms });
    const budgeted = bundle.options !== undefined && RUNTIME_SDK_FUNCTIONS.has(bundle.options);
    const verdict = budgeted
      ? kib * 1024 <= CONNECTION_BUNDLE_BUDGET_BYTES && ms <= CONNECTION_COLD_IMPORT_BUDGET_MS
        ? 'within'
        : 'OVER'
      : '–';
    const sdk = external.length ? 'Lambda runtime' : 'bundled';
    console.log(`| ${bundle.name} | ${sdk} | ${kib.toFixed(0)} | ${ms.toFixed(1)} | ${verdict} |`);
  }
  const unsplit = measured.get('unsplit (all three, SDK bundled)')!;
  for (const name of ['connect', 'disconnect', 'message']) {
    const split = measured.get(name)!;
    printRatio(`${name} size`, split.kib, 'unsplit size', unsplit.kib, 'KiB');
    printRatio(`${name} cold import`, split.ms, 'unsplit cold import', unsplit.ms, 'ms');
  }
  rmSync(outDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------
// 4. The rate limit's check, against the idempotency claim each request already costs.

async function rateLimitCheck(): Promise<void> {
  const db = await startDynalite();
  try {
    const now = Date.now();
    const connections = new DynamoDbConnectionStore({ client: db.client, tableName: db.connectionsTable });
    for (const connectionId of ['bench-admitted', 'bench-throttled']) {
      await connections.put({
        connectionId,
        agentId: AGENT_ID,
        connectedAt: now,
        ttl: Math.floor(now / 1000) + 9000,
      });
    }
    const limiter = (requests: number) =>
      new DynamoDbConnectionRateLimiter({
        client: db.client,
        tableName: db.connectionsTable,
        limit: { requests, intervalMs: 3_600_000 },
      });
    const roomy = limiter(1_000_000);
    const full = limiter(1);
    await full.admit('bench-throttled', now);
    const idempotency = new DynamoDbIdempotencyStore({ client: db.client, tableName: db.stateTable });
    let sequence = 0;
    const claim = await measure(
      'idempotency claim (conditional PutItem), the baseline',
      () =>
        idempotency.claim(`bench-${++sequence}`, 'fp', {
          nowMs: Date.now(),
          lockMs: 60_000,
          retainSeconds: 60,
        }),
      { samples: 2000, warmup: 200 },
    );
    const admitted = await measure(
      'rate limit check, admitted (one conditional UpdateItem)',
      () => roomy.admit('bench-admitted', Date.now()),
      { samples: 2000, warmup: 200 },
    );
    const throttled = await measure(
      'rate limit check, throttled (one UpdateItem and one GetItem)',
      () => full.admit('bench-throttled', Date.now()),
      { samples: 2000, warmup: 200 },
    );
    printFigures('Rate limit check on dynalite, 2,000 calls each', [claim, admitted, throttled]);
    printRatio('admitted p50', admitted.medianMs, 'idempotency claim p50', claim.medianMs, 'ms');
    printRatio('throttled p50', throttled.medianMs, 'idempotency claim p50', claim.medianMs, 'ms');
  } finally {
    await db.close();
  }
}

const only = process.env.BRIDGE_BENCH_ONLY;
if (!only || only === 'warm') await warmOverhead();
if (!only || only === 'e2e') await endToEnd();
if (!only || only === 'bundles') await bundles();
if (!only || only === 'rate-limit') await rateLimitCheck();
