// Shared helpers for benchmarks: timing loops and a uniform printout (figures, never pass/fail).
import { performance } from 'node:perf_hooks';

export interface Figures {
  name: string;
  samples: number;
  medianMs: number;
  p99Ms: number;
  opsPerSecond: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** Times `fn` `samples` times after `warmup` untimed calls; returns median, p99 and throughput. */
export async function measure(
  name: string,
  fn: () => unknown,
  options: { samples?: number; warmup?: number } = {},
): Promise<Figures> {
  const samples = options.samples ?? 1000;
  const warmup = options.warmup ?? Math.min(100, samples);
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const began = performance.now();
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  const total = performance.now() - began;
  times.sort((a, b) => a - b);
  return {
    name,
    samples,
    medianMs: quantile(times, 0.5),
    p99Ms: quantile(times, 0.99),
    opsPerSecond: (samples / total) * 1000,
  };
}

export function printFigures(title: string, rows: Figures[]): void {
  console.log(`\n## ${title} (Node ${process.version}, ${process.platform}/${process.arch})`);
  console.log('| case | samples | median ms | p99 ms | ops/s |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.samples} | ${r.medianMs.toFixed(4)} | ${r.p99Ms.toFixed(4)} | ${Math.round(r.opsPerSecond)} |`,
    );
  }
}

/** Prints a figure against a named baseline measured in the same run. */
export function printRatio(
  label: string,
  value: number,
  baselineLabel: string,
  baseline: number,
  unit: string,
): void {
  const ratio = baseline === 0 ? Number.NaN : value / baseline;
  console.log(
    `- ${label}: ${value.toFixed(2)} ${unit} vs ${baselineLabel}: ${baseline.toFixed(2)} ${unit} (ratio ${ratio.toFixed(2)})`,
  );
}
