// Peak memory growth of a benchmark step: heapUsed + arrayBuffers sampled every 5 ms (and whenever the step
// calls `sample`), minus the value after a forced GC before it. Needs --expose-gc (`npm run bench` adds it).
import { performance } from 'node:perf_hooks';

export const MIB = 1024 * 1024;
/** Node's collector when started with --expose-gc; the benches warn once when it is missing. */
export const gc = (globalThis as { gc?: () => void }).gc;

export function memory(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Collects garbage until memory settles (ArrayBuffers are freed by finalizers after the collection). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export interface Measured<T> {
  value: T;
  ms: number;
  peakGrowthMiB: number;
}

/** Runs `run` once from settled memory: its result, its time and its peak memory growth. */
export async function measured<T>(run: (sample: () => void) => Promise<T>): Promise<Measured<T>> {
  await settle();
  const base = memory();
  let peak = base;
  const sample = () => {
    const now = memory();
    if (now > peak) peak = now;
  };
  const timer = setInterval(sample, 5);
  const started = performance.now();
  const value = await run(sample);
  const ms = performance.now() - started;
  sample();
  clearInterval(timer);
  return { value, ms, peakGrowthMiB: (peak - base) / MIB };
}
