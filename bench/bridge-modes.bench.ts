// Bridge modes (issue 12, part 6; figures, never pass/fail):
// 1. monthly cost of the bridge in each mode at 0, 100 and 1,000 runs a day (bridge-cost-model.ts) against the
//    published runner's server pod share of an on-demand m6a.large, the named baseline;
// 2. handovers measured: the real keeper handler on a shortened schedule dialling the Collate-side stand-in
//    (dynalite for the lease and idempotency, the FakeCluster; the e2e harness of test/e2e/bridge/stage.ts),
//    under continuous requests from 8 clients: time with no connection, time with two, requests in flight at
//    each handover, lost, duplicated and repeated answers; request latency against the same load on a keeper
//    that does not hand over during the run (the baseline, same run).
import { performance } from 'node:perf_hooks';
import { BridgeClient } from '@hybrid-runner/protocol';
import {
  AGENT_ID,
  TOKEN,
  startOutboundBridgeStage,
  type OutboundBridgeStage,
  type OutboundTiming,
} from '../test/e2e/bridge/stage.ts';
import {
  BRIDGE_ASSUMPTIONS,
  BRIDGE_PRICES,
  BRIDGE_PRICES_AS_OF,
  KEEPER_DESIGN,
  inboundBridgeMonthly,
  keeperFigures,
  outboundBridgeMonthly,
  publishedRunnerPodMonthly,
} from './bridge-cost-model.ts';
import { printRatio } from './lib.ts';

const RUNS_PER_DAY = [0, 100, 1000];
const usd = (value: number) => `$${value.toFixed(2)}`;

function printCosts(): void {
  const baseline = publishedRunnerPodMonthly();
  const k = keeperFigures();
  console.log(
    `\n## Bridge modes: monthly cost (${BRIDGE_PRICES_AS_OF.region} list prices as of ${BRIDGE_PRICES_AS_OF.date}; ` +
      `baseline: the published runner's server pod, ${BRIDGE_ASSUMPTIONS.publishedRunnerPod.vcpu} vCPU / ` +
      `${BRIDGE_ASSUMPTIONS.publishedRunnerPod.memoryGib} GiB = ${(baseline.share * 100).toFixed(0)} % of an ` +
      `on-demand m6a.large = ${usd(baseline.monthly)})`,
  );
  console.log(
    `Keeper: ${KEEPER_DESIGN.memoryMb} MB, ${KEEPER_DESIGN.architecture} ($${BRIDGE_PRICES.lambdaArm64PerGbSecond}/GB-s), ` +
      `timeout ${KEEPER_DESIGN.timeoutSeconds} s, tick every ${KEEPER_DESIGN.tickSeconds} s: a handover every ` +
      `${k.cycleSeconds} s (${Math.round(k.keepersPerMonth)} keepers/month), ${Math.round(k.invocationsPerMonth)} ` +
      `invocations/month, ${k.billedSecondsPerKeeper.toFixed(2)} s billed per keeper (${KEEPER_DESIGN.overlapSeconds} s ` +
      `overlap), ${Math.round(k.gbSecondsPerMonth)} GB-s/month, lease: ${(k.leaseReadsPerMonth / 1e6).toFixed(2)} M ` +
      `consistent reads and ${(k.leaseWritesPerMonth / 1e6).toFixed(2)} M writes/month.`,
  );
  console.log(
    `Inbound: ${BRIDGE_ASSUMPTIONS.inboundMemoryGb * 1024} MB x86_64 functions; per run ` +
      `${BRIDGE_ASSUMPTIONS.requestsPerRun} requests (2 messages each) and ${BRIDGE_ASSUMPTIONS.pipelineStatusEventsPerRun} ` +
      `events; a heartbeat a minute; one Collate connection around the clock. No free tier counted.`,
  );
  console.log(
    `| mode | runs/day | Lambda | API Gateway | DynamoDB | Secrets Manager | total | vs pod share |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [mode, cost] of [
    ['inbound', inboundBridgeMonthly],
    ['outbound', outboundBridgeMonthly],
  ] as const) {
    for (const runs of RUNS_PER_DAY) {
      const c = cost(runs);
      console.log(
        `| ${mode} | ${runs} | ${usd(c.lambda)} | ${usd(c.apiGateway)} | ${usd(c.dynamoDb)} | ${usd(c.secretsManager)} | ${usd(c.total)} | ${(c.total / baseline.monthly).toFixed(2)} |`,
      );
    }
  }
  printRatio(
    'outbound at 0 runs/day',
    outboundBridgeMonthly(0).total,
    'inbound at 0 runs/day',
    inboundBridgeMonthly(0).total,
    'USD/month',
  );
  printRatio(
    'outbound at 1,000 runs/day',
    outboundBridgeMonthly(1000).total,
    'inbound at 1,000 runs/day',
    inboundBridgeMonthly(1000).total,
    'USD/month',
  );
  printRatio(
    'outbound at 1,000 runs/day',
    outboundBridgeMonthly(1000).total,
    'published runner pod share',
    baseline.monthly,
    'USD/month',
  );
  console.log(
    `- for scale: a whole on-demand m6a.large is ${usd(baseline.wholeNode)}/month (the chart asks for two).`,
  );
}

interface LoadFigures {
  requests: number;
  handovers: number;
  gapMs: number;
  twoConnectionsMs: number;
  maxConnections: number;
  /** Requests still waiting on the older connection when each successor connected (the stand-in's count). */
  inFlightAtHandover: number[];
  inFlightAtDrain: number[];
  answeredWhileDraining: number;
  unsent: number;
  duplicate: number;
  misrouted: number;
  repeated: number;
  lost: number;
  latencies: number[];
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;

/** Continuous requests from `clients` clients for `durationMs`, with the connection count sampled every ms. */
async function underLoad(timing: OutboundTiming, durationMs: number, clients = 8): Promise<LoadFigures> {
  const stage: OutboundBridgeStage = await startOutboundBridgeStage({ timing });
  const bridges = await Promise.all(
    Array.from({ length: clients }, () =>
      BridgeClient.connect(stage.url, {
        token: TOKEN,
        agentId: AGENT_ID,
        requestTimeoutMs: 30_000,
        reconnect: { maxAttempts: 0 },
      }),
    ),
  );
  try {
    const pipeline = { name: 'bench', fullyQualifiedName: 'svc.db.bench', pipelineType: 'metadata' as const };
    await bridges[0]!.request('deployPipeline', { pipeline, workflowConfig: { source: {} } });
    const resultsBefore = stage.keeperResults.length;
    const before = stage.collateSide.stats();
    const sentBefore = before.requestsSent;
    let twoConnectionsMs = 0;
    let sampling = true;
    const sampler = (async () => {
      let last = performance.now();
      while (sampling) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        const now = performance.now();
        if (stage.collateSide.agentConnections() >= 2) twoConnectionsMs += now - last;
        last = now;
      }
    })();
    const latencies: number[] = [];
    const answered = new Map<string, number>();
    const stopAt = Date.now() + durationMs;
    await Promise.all(
      bridges.map(async (bridge, c) => {
        for (let r = 0; Date.now() < stopAt; r++) {
          const id = `bench-${c}-${r}`;
          const t0 = performance.now();
          await bridge.request('getPipelineStatus', { pipeline }, { id });
          latencies.push(performance.now() - t0);
          answered.set(id, (answered.get(id) ?? 0) + 1);
        }
      }),
    );
    sampling = false;
    await sampler;
    const stats = stage.collateSide.stats();
    const handedOver = stage.keeperResults
      .slice(resultsBefore)
      .filter((result) => (result as { outcome?: string }).outcome === 'handed-over') as Array<{
      inFlightAtDrain: number;
      answeredWhileDraining: number;
      unsent: number;
    }>;
    const sent = stats.requestsSent - sentBefore;
    return {
      requests: answered.size,
      handovers: handedOver.length,
      gapMs: stage.collateSide.gapMs(),
      twoConnectionsMs,
      maxConnections: stats.maxConcurrentAgentConnections,
      inFlightAtHandover: stats.inFlightAtHandover.slice(before.inFlightAtHandover.length),
      inFlightAtDrain: handedOver.map((result) => result.inFlightAtDrain),
      answeredWhileDraining: handedOver.reduce((sum, result) => sum + result.answeredWhileDraining, 0),
      unsent: handedOver.reduce((sum, result) => sum + result.unsent, 0),
      duplicate: stats.duplicateResponses,
      misrouted: stats.misroutedResponses,
      repeated: stats.repeated,
      lost: sent - stats.repeated - answered.size,
      latencies: latencies.sort((a, b) => a - b),
    };
  } finally {
    await Promise.all(bridges.map((bridge) => bridge.close()));
    await stage.close();
  }
}

async function printHandovers(): Promise<void> {
  const durationMs = 10_000;
  // Keepers of 4 s hand over every ~2.7 s; keepers of 60 s do not hand over within the run (the baseline).
  const handingOver = await underLoad({ lifetimeMs: 4_000, tickMs: 200, heartbeatMs: 500 }, durationMs);
  const calm = await underLoad({ lifetimeMs: 60_000, tickMs: 500, heartbeatMs: 500 }, durationMs);
  console.log(
    `\n## Bridge modes: handover under load (Node ${process.version}; real keeper handler, Collate-side stand-in, ` +
      `dynalite, FakeCluster; 8 clients, ${durationMs / 1000} s of getPipelineStatus each run)`,
  );
  console.log(
    '| run | requests | handovers | time without a connection | time with two | in flight on the old connection at each handover | of those at drain | answered while draining | lost | duplicated | misrouted | repeated | p50 ms | p99 ms |',
  );
  console.log('|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, f] of [
    ['handover every ~2.7 s', handingOver],
    ['baseline: no handover', calm],
  ] as const) {
    const perHandover = f.handovers ? f.twoConnectionsMs / f.handovers : 0;
    console.log(
      `| ${name} | ${f.requests} | ${f.handovers} | ${f.gapMs.toFixed(1)} ms | ${f.twoConnectionsMs.toFixed(0)} ms` +
        `${f.handovers ? ` (${perHandover.toFixed(0)} ms each)` : ''} | ${f.inFlightAtHandover.join(', ') || '–'} ` +
        `| ${f.inFlightAtDrain.reduce((sum, n) => sum + n, 0)} ` +
        `| ${f.answeredWhileDraining} | ${f.lost} | ${f.duplicate} | ${f.misrouted} | ${f.repeated} | ` +
        `${quantile(f.latencies, 0.5).toFixed(2)} | ${quantile(f.latencies, 0.99).toFixed(2)} |`,
    );
  }
  printRatio(
    'p99 latency with handovers',
    quantile(handingOver.latencies, 0.99),
    'p99 without',
    quantile(calm.latencies, 0.99),
    'ms',
  );
  printRatio(
    'throughput with handovers',
    handingOver.requests / (durationMs / 1000),
    'without',
    calm.requests / (durationMs / 1000),
    'requests/s',
  );
}

printCosts();
await printHandovers();
