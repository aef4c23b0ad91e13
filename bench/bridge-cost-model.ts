// Monthly cost of the bridge alone in each mode (issue 12, part 6), against the published runner's server pod
// share of an m6a.large (the named baseline). Inbound: API Gateway WebSocket connection minutes and messages,
// the $default, $connect/$disconnect and heartbeat invocations, the connections table's writes and reads.
// Outbound: the keeper Lambda around the clock (its memory, arm64, every tick's invocation and each keeper's
// overlap derived from the tick design's own constants), its lease in DynamoDB and its token reads. What both
// modes spend alike (idempotency records, the ECR refresh, dashboards and alarms, data transfer) is left out:
// it does not tell the modes apart (cost-model.ts has the whole system). A model with AWS list prices as the
// author knows them, NOT fetched (no AWS from this machine): check them in the AWS Pricing Calculator.
import { DEFAULT_KEEPER_MEMORY_MB } from '@hybrid-runner/config';
import { DEFAULT_KEEPER_TIMING, DEFAULT_TAKEOVER_POLICY } from '@hybrid-runner/core';
import { ASSUMPTIONS, HOURS_PER_MONTH, PRICES, PRICES_AS_OF } from './cost-model.ts';

/** Region and date of the prices below (the same as cost-model.ts's). */
export const BRIDGE_PRICES_AS_OF = PRICES_AS_OF;

/** USD, eu-west-1, pay as you go; the shared ones are cost-model.ts's PRICES. */
export const BRIDGE_PRICES = {
  /** Lambda x86_64 (the stack's default architecture for the inbound functions). */
  lambdaX86PerGbSecond: PRICES.lambdaPerGbSecond,
  /** Lambda arm64 (Graviton), 20 % below x86_64: the keeper's architecture. */
  lambdaArm64PerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: PRICES.lambdaPerMillionRequests,
  /** Per million messages, metered in 32 KB units (first billion a month). */
  apiGatewayWebSocketPerMillionMessages: PRICES.apiGatewayWebSocketPerMillionMessages,
  apiGatewayWebSocketPerMillionConnectionMinutes: PRICES.apiGatewayWebSocketPerMillionConnectionMinutes,
  dynamoDbPerMillionWrites: PRICES.dynamoDbPerMillionWrites,
  /** A strongly consistent read of up to 4 KB is one read request unit (eventually consistent: half). */
  dynamoDbPerMillionReads: PRICES.dynamoDbPerMillionReads,
  secretsManagerPer10kApiCalls: 0.05,
  m6aLargeOnDemandPerHour: PRICES.m6aLargeOnDemandPerHour,
} as const;

const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
const MINUTES_PER_MONTH = HOURS_PER_MONTH * 60;
const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

export interface KeeperDesign {
  memoryMb: number;
  architecture: 'arm64' | 'x86_64';
  timeoutSeconds: number;
  tickSeconds: number;
  idleTickSeconds: number;
  drainReserveSeconds: number;
  leadSeconds: number;
  leasePollSeconds: number;
  renewSeconds: number;
  overlapSeconds: number;
}

/** The keeper as designed: its memory and timeout defaults, the tick, and the timings of core's keeper. */
export const KEEPER_DESIGN: KeeperDesign = {
  memoryMb: DEFAULT_KEEPER_MEMORY_MB,
  architecture: 'arm64',
  /** bridge.outbound.keeper.timeoutSeconds's default (Lambda's 15-minute limit). */
  timeoutSeconds: 900,
  /** The EventBridge schedule that invokes the keeper: every minute. */
  tickSeconds: 60,
  /** A tick that finds a serving keeper reads the lease and returns (a cold-start-free GetItem). */
  idleTickSeconds: 0.05,
  drainReserveSeconds: DEFAULT_KEEPER_TIMING.drainReserveMs / 1000,
  leadSeconds: DEFAULT_TAKEOVER_POLICY.leadMs / 1000,
  leasePollSeconds: DEFAULT_KEEPER_TIMING.leasePollMs / 1000,
  renewSeconds: DEFAULT_KEEPER_TIMING.renewMs / 1000,
  /**
   * Two keepers billed at once per handover: the old one sees its successor connected at its next lease poll,
   * then waits out quietMs without a new frame before it closes (the in-flight answers come within that).
   */
  overlapSeconds: DEFAULT_KEEPER_TIMING.leasePollMs / 1000 + DEFAULT_KEEPER_TIMING.quietMs / 1000,
};

/**
 * How long each keeper serves before its successor takes over: a keeper leaves by its timeout less the drain
 * reserve; the first tick within `lead` of that starts the successor (ticks are whole minutes apart).
 */
export function keeperCycleSeconds(design = KEEPER_DESIGN): number {
  const leaveBy = design.timeoutSeconds - design.drainReserveSeconds;
  return Math.ceil((leaveBy - design.leadSeconds) / design.tickSeconds) * design.tickSeconds;
}

/** Modelling assumptions for the bridge, each with its reason. */
export const BRIDGE_ASSUMPTIONS = {
  /**
   * Requests Collate makes per run: deploy, run, a few status polls, the log chunks, and the UI's reads.
   * The whole-system model counts 20 bridge messages per run; here they are split into what they are.
   */
  requestsPerRun: 8,
  /** pipelineStatus events per run: queued, running, the final state. */
  pipelineStatusEventsPerRun: 3,
  /** Billed duration of a $default invocation (the whole-system model's figure). */
  messageSeconds: ASSUMPTIONS.messageSeconds,
  /** The inbound functions' memory (stacks/functions.ts) and architecture (SST's default). */
  inboundMemoryGb: 0.5,
  heartbeatSeconds: ASSUMPTIONS.heartbeatSeconds,
  /** Collate reconnects before API Gateway's 2-hour limit: a $connect and a $disconnect every 2 hours. */
  reconnectsPerDay: 12,
  connectSeconds: 0.1,
  /** One Collate connection around the clock (the overlap of a reconnect is seconds a day). */
  inboundConnections: 1,
  /** Connections table: the rate limit's UpdateItem per request; the heartbeat's list; connect/disconnect. */
  dynamoDbWritesPerRequest: 1,
  dynamoDbReadsPerHeartbeat: 1,
  /** Runner server pod (Java) of the published chart: the chart sets no requests; a typical JVM server's. */
  publishedRunnerPod: { vcpu: 0.5, memoryGib: 2 },
  /** m6a.large: 2 vCPU, 8 GiB. A pod's share is the larger of its CPU and memory shares. */
  m6aLarge: { vcpu: 2, memoryGib: 8 },
} as const;

export interface BridgeCost {
  lambda: number;
  apiGateway: number;
  dynamoDb: number;
  secretsManager: number;
  total: number;
}

function total(parts: Omit<BridgeCost, 'total'>): BridgeCost {
  return { ...parts, total: parts.lambda + parts.apiGateway + parts.dynamoDb + parts.secretsManager };
}

export function inboundBridgeMonthly(runsPerDay: number): BridgeCost {
  const a = BRIDGE_ASSUMPTIONS;
  const p = BRIDGE_PRICES;
  const runs = runsPerDay * DAYS_PER_MONTH;
  const requests = runs * a.requestsPerRun;
  const heartbeats = MINUTES_PER_MONTH;
  const connects = a.reconnectsPerDay * DAYS_PER_MONTH;
  const invocations = requests + heartbeats + 2 * connects;
  const gbSeconds =
    a.inboundMemoryGb *
    (requests * a.messageSeconds + heartbeats * a.heartbeatSeconds + 2 * connects * a.connectSeconds);
  const lambda = gbSeconds * p.lambdaX86PerGbSecond + (invocations / 1e6) * p.lambdaPerMillionRequests;
  // Every request and its response, each event and each heartbeat's runnerStatus is a message.
  const messages = 2 * requests + runs * a.pipelineStatusEventsPerRun + heartbeats * a.inboundConnections;
  const connectionMinutes = MINUTES_PER_MONTH * a.inboundConnections;
  const apiGateway =
    (messages / 1e6) * p.apiGatewayWebSocketPerMillionMessages +
    (connectionMinutes / 1e6) * p.apiGatewayWebSocketPerMillionConnectionMinutes;
  const dynamoDb =
    ((requests * a.dynamoDbWritesPerRequest + 2 * connects) / 1e6) * p.dynamoDbPerMillionWrites +
    ((heartbeats * a.dynamoDbReadsPerHeartbeat) / 1e6) * p.dynamoDbPerMillionReads;
  // $connect reads the bot token (cached per container): a call per reconnect at most.
  const secretsManager = (connects / 1e4) * p.secretsManagerPer10kApiCalls;
  return total({ lambda, apiGateway, dynamoDb, secretsManager });
}

export interface KeeperFigures {
  cycleSeconds: number;
  keepersPerMonth: number;
  invocationsPerMonth: number;
  billedSecondsPerKeeper: number;
  gbSecondsPerMonth: number;
  leaseReadsPerMonth: number;
  leaseWritesPerMonth: number;
}

export function keeperFigures(design = KEEPER_DESIGN): KeeperFigures {
  const cycleSeconds = keeperCycleSeconds(design);
  const keepersPerMonth = SECONDS_PER_MONTH / cycleSeconds;
  const invocationsPerMonth = SECONDS_PER_MONTH / design.tickSeconds;
  const billedSecondsPerKeeper = cycleSeconds + design.overlapSeconds;
  const gbSecondsPerMonth =
    (design.memoryMb / 1024) *
    (keepersPerMonth * billedSecondsPerKeeper +
      (invocationsPerMonth - keepersPerMonth) * design.idleTickSeconds);
  // Consistent reads: every lease poll of the serving keeper, plus one per tick; writes: renewals and claims.
  const leaseReadsPerMonth = SECONDS_PER_MONTH / design.leasePollSeconds + invocationsPerMonth;
  const leaseWritesPerMonth = SECONDS_PER_MONTH / design.renewSeconds + 2 * keepersPerMonth;
  return {
    cycleSeconds,
    keepersPerMonth,
    invocationsPerMonth,
    billedSecondsPerKeeper,
    gbSecondsPerMonth,
    leaseReadsPerMonth,
    leaseWritesPerMonth,
  };
}

/**
 * The keeper bills wall-clock time whether or not a request arrives, so runs add no Lambda cost: requests are
 * answered inside the time already billed, and events go over its socket (no API Gateway in this mode).
 */
export function outboundBridgeMonthly(_runsPerDay: number, design = KEEPER_DESIGN): BridgeCost {
  const p = BRIDGE_PRICES;
  const k = keeperFigures(design);
  const lambda =
    k.gbSecondsPerMonth * p.lambdaArm64PerGbSecond +
    (k.invocationsPerMonth / 1e6) * p.lambdaPerMillionRequests;
  const dynamoDb =
    (k.leaseReadsPerMonth / 1e6) * p.dynamoDbPerMillionReads +
    (k.leaseWritesPerMonth / 1e6) * p.dynamoDbPerMillionWrites;
  // Each keeper reads the bot token once at its start (no cache across keepers, so a rotation is picked up).
  const secretsManager = (k.keepersPerMonth / 1e4) * p.secretsManagerPer10kApiCalls;
  return total({ lambda, apiGateway: 0, dynamoDb, secretsManager });
}

/** The published runner's server pod: its share of an on-demand m6a.large, around the clock. */
export function publishedRunnerPodMonthly(): { share: number; monthly: number; wholeNode: number } {
  const { publishedRunnerPod: pod, m6aLarge: node } = BRIDGE_ASSUMPTIONS;
  const share = Math.max(pod.vcpu / node.vcpu, pod.memoryGib / node.memoryGib);
  const wholeNode = BRIDGE_PRICES.m6aLargeOnDemandPerHour * HOURS_PER_MONTH;
  return { share, monthly: share * wholeNode, wholeNode };
}
