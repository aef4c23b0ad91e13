// docs/deploy.md's "Bridge modes: cost and handover" against the model that prints it (bench/bridge-cost-model.ts)
// and the keeper's own constants: a changed price, timing or memory default must show up on the page.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KEEPER_MEMORY_MB } from '@hybrid-runner/config';
import {
  KEEPER_DESIGN,
  inboundBridgeMonthly,
  keeperCycleSeconds,
  keeperFigures,
  outboundBridgeMonthly,
  publishedRunnerPodMonthly,
} from '../../../bench/bridge-cost-model.ts';

const DOC = readFileSync(join(import.meta.dirname, '../../../docs/deploy.md'), 'utf8');
const start = DOC.indexOf('## Bridge modes: cost and handover');
const SECTION = DOC.slice(start, DOC.indexOf('\n## ', start + 1));
const FLAT = SECTION.replace(/\s+/g, ' ');
const usd = (value: number) => `$${value.toFixed(2)}`;

describe('docs/deploy.md bridge modes cost section', () => {
  it('exists', () => {
    expect(start).toBeGreaterThan(0);
  });

  it('has the cost table the model prints, row by row', () => {
    const pod = publishedRunnerPodMonthly().monthly;
    for (const [mode, cost] of [
      ['inbound', inboundBridgeMonthly],
      ['outbound', outboundBridgeMonthly],
    ] as const) {
      for (const runs of [0, 100, 1000]) {
        const c = cost(runs);
        const row = `| ${mode} | ${runs} | ${usd(c.lambda)} | ${usd(c.apiGateway)} | ${usd(c.dynamoDb)} | ${usd(c.secretsManager)} | ${usd(c.total)} | ${(c.total / pod).toFixed(2)} |`;
        expect(SECTION).toContain(row);
      }
    }
    expect(FLAT).toContain(`i.e. ${usd(publishedRunnerPodMonthly().monthly)}`);
  });

  it("names the keeper's memory, architecture, cycle and overlap as the code has them", () => {
    expect(KEEPER_DESIGN.memoryMb).toBe(DEFAULT_KEEPER_MEMORY_MB);
    const k = keeperFigures();
    expect(FLAT).toContain(`the keeper at ${DEFAULT_KEEPER_MEMORY_MB} MB on ${KEEPER_DESIGN.architecture}`);
    expect(FLAT).toContain(`a handover every ${keeperCycleSeconds()} s`);
    expect(FLAT).toContain(
      `each billed ${k.billedSecondsPerKeeper} s (${KEEPER_DESIGN.overlapSeconds} s of overlap`,
    );
    expect(FLAT).toContain(`${Math.round(k.gbSecondsPerMonth).toLocaleString('en-US')} GB-s a month`);
    expect(FLAT).toContain(`${(k.leaseReadsPerMonth / 1e6).toFixed(2)} M consistent reads`);
  });

  it('the model: outbound is flat in the runs, inbound grows with them', () => {
    expect(outboundBridgeMonthly(1000).total).toBe(outboundBridgeMonthly(0).total);
    expect(inboundBridgeMonthly(1000).total).toBeGreaterThan(inboundBridgeMonthly(100).total);
    expect(inboundBridgeMonthly(100).total).toBeGreaterThan(inboundBridgeMonthly(0).total);
    // The cycle follows the tick design: leave 60 s before the timeout, successor 180 s before that.
    expect(keeperCycleSeconds({ ...KEEPER_DESIGN, timeoutSeconds: 600 })).toBe(360);
  });
});
