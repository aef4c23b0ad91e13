// Cost model (issue 13): monthly cost of the whole system for 0, 100 and 1,000 runs a day of 10 minutes, for
// the published chart (a, the baseline), this project with nodes always on (b), Argo on Fargate with Karpenter
// on demand (c) and on Spot (d). A model, not a measurement: prices and assumptions are in cost-model.ts.
import { ASSUMPTIONS, PRICES_AS_OF, SETUPS, monthlyCost } from './cost-model.ts';
import type { SetupId } from './cost-model.ts';
import { printRatio } from './lib.ts';

const RUNS_PER_DAY = [0, 100, 1000];
const ids = Object.keys(SETUPS) as SetupId[];
const usd = (value: number) => `$${value.toFixed(2)}`;

console.log(
  `\n## Monthly cost, whole system (${PRICES_AS_OF.region} list prices as of ${PRICES_AS_OF.date}, ` +
    `${ASSUMPTIONS.runMinutes}-minute runs; baseline (a))`,
);
console.log(`| setup | ${RUNS_PER_DAY.map((runs) => `${runs} runs/day | vs (a)`).join(' | ')} |`);
console.log(`|---|${RUNS_PER_DAY.map(() => '---:|---:').join('|')}|`);
for (const id of ids) {
  const cells = RUNS_PER_DAY.map((runs) => {
    const cost = monthlyCost(id, runs).total;
    const baseline = monthlyCost('a', runs).total;
    return `${usd(cost)} | ${(cost / baseline).toFixed(2)}`;
  });
  console.log(`| (${id}) ${SETUPS[id]} | ${cells.join(' | ')} |`);
}

console.log('\n### Idle (0 runs/day), by part');
console.log(
  '| setup | EKS control plane | always-on nodes | run nodes | Fargate pods | serverless plane | total |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const id of ids) {
  const c = monthlyCost(id, 0);
  console.log(
    `| (${id}) | ${usd(c.eks)} | ${usd(c.alwaysOnNodes)} | ${usd(c.runNodes)} | ${usd(c.fargate)} | ${usd(c.serverless)} | ${usd(c.total)} |`,
  );
}
const idleA = monthlyCost('a', 0);
const idleC = monthlyCost('c', 0);
printRatio(
  'idle (c) Argo on Fargate + Karpenter',
  idleC.total,
  'idle (a) published chart',
  idleA.total,
  'USD/month',
);
printRatio(
  'idle (c) without the EKS control plane (the same in every setup)',
  idleC.total - idleC.eks,
  'idle (a) without it',
  idleA.total - idleA.eks,
  'USD/month',
);
printRatio(
  '1,000 runs/day on Spot (d)',
  monthlyCost('d', 1000).total,
  '(a) at 1,000 runs/day',
  monthlyCost('a', 1000).total,
  'USD/month',
);
