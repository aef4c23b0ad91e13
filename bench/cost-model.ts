// Monthly cost of the whole system (EKS control plane, nodes, Fargate pods, the serverless control plane) for
// four setups and a number of 10-minute runs a day. Prices are named constants with their region and the date
// they were written down; they are AWS list prices as the author knows them, NOT fetched (this machine cannot
// reach AWS): check them in the AWS Pricing Calculator before quoting a figure. Every modelling assumption is
// a named constant below with its reason; change one and the table follows.

/** Region and date of every price below. */
export const PRICES_AS_OF = { region: 'eu-west-1', date: '2026-12-03' } as const;

/** USD, eu-west-1, Linux, pay as you go. */
export const PRICES = {
  eksControlPlanePerHour: 0.1,
  /** m6a.large (2 vCPU, 8 GiB) on demand. Issue 13 quotes ≈ $126/month for two, i.e. $0.0863/h (us-east-1's price). */
  m6aLargeOnDemandPerHour: 0.0963,
  /** m6a.large Spot: a typical eu-west-1 figure (≈ 60 % off); it moves by zone and hour. */
  m6aLargeSpotPerHour: 0.0385,
  ebsGp3PerGbMonth: 0.088,
  fargatePerVcpuHour: 0.04456,
  fargatePerGbHour: 0.00489,
  lambdaPerGbSecond: 0.0000166667,
  lambdaPerMillionRequests: 0.2,
  apiGatewayWebSocketPerMillionMessages: 1.14,
  apiGatewayWebSocketPerMillionConnectionMinutes: 0.285,
  dynamoDbPerMillionWrites: 0.7063,
  dynamoDbPerMillionReads: 0.1413,
  secretsManagerPerSecretMonth: 0.4,
  cloudWatchDashboardPerMonth: 3,
  cloudWatchAlarmPerMonth: 0.1,
} as const;

export const HOURS_PER_MONTH = 730;
const MINUTES_PER_MONTH = HOURS_PER_MONTH * 60;
const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

/** Modelling assumptions, each with its reason. */
export const ASSUMPTIONS = {
  runMinutes: 10,
  /** The published requirement: two m6a.large, 64 GiB disk each. */
  alwaysOnNodes: 2,
  alwaysOnNodeDiskGb: 64,
  /**
   * Ingestion pods (1 vCPU / 4 GiB) that fit beside Argo and the runner on the two always-on nodes: one per
   * node (an m6a.large has ≈ 1.9 allocatable vCPUs). Runs beyond that average concurrency need extra nodes,
   * billed like Karpenter's below (the cluster autoscaler would add them).
   */
  ingestionSlotsOnAlwaysOnNodes: 2,
  /** Billed minutes of a node started for one run: launch to Ready and the image pull (≈ 2 min), then the run. */
  nodeStartMinutes: 2,
  /** Karpenter's consolidateAfter (the stage default): an empty node is kept this long before it goes. */
  consolidateAfterMinutes: 1,
  /** Karpenter's default root volume for an EC2NodeClass. */
  karpenterNodeDiskGb: 20,
  /** Share of Spot runs that lose their node once; a lost run costs half a run again plus a new node's start. */
  spotInterruptedShare: 0.02,
  /** Argo's controller on Fargate: 0.25 vCPU, 512 MiB requested → billed 0.25 vCPU / 1 GB (stacks/argo-placement.ts). */
  argoFargate: { pods: 1, vcpu: 0.25, gb: 1 },
  /** Karpenter's controller must not run on the nodes it removes: on Fargate, one replica, 0.5 vCPU / 1 GB. */
  karpenterFargate: { pods: 1, vcpu: 0.5, gb: 1 },
  /** CoreDNS: with no node at rest it needs Fargate too (EKS's two replicas, 0.25 vCPU / 0.5 GB each). */
  coreDnsFargate: { pods: 2, vcpu: 0.25, gb: 0.5 },
  /** Serverless plane: the heartbeat every minute, the ECR refresh every 4 h, bridge messages per run. */
  heartbeatsPerMonth: MINUTES_PER_MONTH,
  functionMemoryGb: 0.5,
  heartbeatSeconds: 0.3,
  messagesPerRun: 20,
  messageSeconds: 0.2,
  dynamoDbWritesPerHeartbeat: 2,
  dynamoDbReadsPerHeartbeat: 2,
  dynamoDbWritesPerRun: 10,
  dynamoDbReadsPerRun: 10,
  runnerSecrets: 2,
  alarms: 8,
} as const;

export type SetupId = 'a' | 'b' | 'c' | 'd';

export const SETUPS: Record<SetupId, string> = {
  a: 'published chart, 2 on-demand m6a.large always on',
  b: 'this project, nodes always on',
  c: 'Argo on Fargate, Karpenter on-demand',
  d: 'Argo on Fargate, Karpenter Spot',
};

export interface CostBreakdown {
  eks: number;
  alwaysOnNodes: number;
  runNodes: number;
  fargate: number;
  serverless: number;
  total: number;
}

function fargateMonthly(pod: { pods: number; vcpu: number; gb: number }): number {
  return (
    pod.pods * (pod.vcpu * PRICES.fargatePerVcpuHour + pod.gb * PRICES.fargatePerGbHour) * HOURS_PER_MONTH
  );
}

/** The Lambda functions, API Gateway, DynamoDB, Secrets Manager and CloudWatch of this project. */
export function serverlessMonthly(runsPerDay: number): number {
  const a = ASSUMPTIONS;
  const runs = runsPerDay * DAYS_PER_MONTH;
  const invocations = a.heartbeatsPerMonth + runs * a.messagesPerRun + DAYS_PER_MONTH * 6;
  const gbSeconds =
    a.functionMemoryGb *
    (a.heartbeatsPerMonth * a.heartbeatSeconds + runs * a.messagesPerRun * a.messageSeconds);
  const lambda = gbSeconds * PRICES.lambdaPerGbSecond + (invocations / 1e6) * PRICES.lambdaPerMillionRequests;
  const apiGateway =
    ((a.heartbeatsPerMonth + runs * a.messagesPerRun) / 1e6) * PRICES.apiGatewayWebSocketPerMillionMessages +
    (MINUTES_PER_MONTH / 1e6) * PRICES.apiGatewayWebSocketPerMillionConnectionMinutes;
  const dynamoDb =
    ((a.heartbeatsPerMonth * a.dynamoDbWritesPerHeartbeat + runs * a.dynamoDbWritesPerRun) / 1e6) *
      PRICES.dynamoDbPerMillionWrites +
    ((a.heartbeatsPerMonth * a.dynamoDbReadsPerHeartbeat + runs * a.dynamoDbReadsPerRun) / 1e6) *
      PRICES.dynamoDbPerMillionReads;
  const fixed =
    a.runnerSecrets * PRICES.secretsManagerPerSecretMonth +
    PRICES.cloudWatchDashboardPerMonth +
    a.alarms * PRICES.cloudWatchAlarmPerMonth;
  return lambda + apiGateway + dynamoDb + fixed;
}

/** Node cost of runs on nodes started for them (Karpenter, or extra autoscaled nodes), per month. */
function runNodesMonthly(runs: number, pricePerHour: number, interruptedShare: number): number {
  const a = ASSUMPTIONS;
  const minutesPerRun = a.nodeStartMinutes + a.runMinutes + a.consolidateAfterMinutes;
  const retryMinutes = interruptedShare * (a.runMinutes / 2 + a.nodeStartMinutes);
  const nodeHours = (runs * (minutesPerRun + retryMinutes)) / 60;
  const diskPerNodeHour = (a.karpenterNodeDiskGb * PRICES.ebsGp3PerGbMonth) / HOURS_PER_MONTH;
  return nodeHours * (pricePerHour + diskPerNodeHour);
}

export function monthlyCost(setup: SetupId, runsPerDay: number): CostBreakdown {
  const a = ASSUMPTIONS;
  const eks = PRICES.eksControlPlanePerHour * HOURS_PER_MONTH;
  const runsPerMonth = runsPerDay * DAYS_PER_MONTH;
  let alwaysOnNodes = 0;
  let runNodes = 0;
  let fargate = 0;
  if (setup === 'a' || setup === 'b') {
    alwaysOnNodes =
      a.alwaysOnNodes *
      (PRICES.m6aLargeOnDemandPerHour * HOURS_PER_MONTH + a.alwaysOnNodeDiskGb * PRICES.ebsGp3PerGbMonth);
    // Average concurrency beyond the slots of the always-on nodes runs on extra on-demand nodes.
    const concurrency = (runsPerDay * a.runMinutes) / (24 * 60);
    const overflowShare =
      concurrency === 0 ? 0 : Math.max(0, concurrency - a.ingestionSlotsOnAlwaysOnNodes) / concurrency;
    runNodes = runNodesMonthly(runsPerMonth * overflowShare, PRICES.m6aLargeOnDemandPerHour, 0);
  } else {
    fargate =
      fargateMonthly(a.argoFargate) + fargateMonthly(a.karpenterFargate) + fargateMonthly(a.coreDnsFargate);
    runNodes =
      setup === 'c'
        ? runNodesMonthly(runsPerMonth, PRICES.m6aLargeOnDemandPerHour, 0)
        : runNodesMonthly(runsPerMonth, PRICES.m6aLargeSpotPerHour, a.spotInterruptedShare);
  }
  const serverless = setup === 'a' ? 0 : serverlessMonthly(runsPerDay);
  return {
    eks,
    alwaysOnNodes,
    runNodes,
    fargate,
    serverless,
    total: eks + alwaysOnNodes + runNodes + fargate + serverless,
  };
}
