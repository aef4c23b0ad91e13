// The streaming claim, measured: serving a 50 MB log (one cursor request, and every chunk in one pass) grows
// the heap by at most 64 MB. Runs in a child process with --expose-gc so the figures are this work's alone.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const SCRIPT = `
import { chunkLogStream, iterateLogChunks } from '@hybrid-runner/core';
const LINE = new TextEncoder().encode('2026-11-28 INFO "quoted" \\\\path é 😀 \\u0001 ingest row\\n');
async function* log(total) {
  for (let produced = 0; produced < total; produced += 65536) {
    const piece = new Uint8Array(Math.min(65536, total - produced));
    for (let i = 0; i < piece.length; i += LINE.length) piece.set(LINE.subarray(0, Math.min(LINE.length, piece.length - i)), i);
    yield piece;
  }
}
const memory = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
async function peakGrowth(run) {
  for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }
  const base = memory();
  let peak = base;
  const sample = () => { peak = Math.max(peak, memory()); };
  const timer = setInterval(sample, 2);
  const result = await run(sample);
  sample();
  clearInterval(timer);
  return { result, growth: peak - base };
}
const BYTES = 50 * 1024 * 1024;
const request = await peakGrowth(async () => (await chunkLogStream(log(BYTES), { taskKey: 'ingestion_task' })).total);
const pass = await peakGrowth(async (sample) => {
  let chars = 0;
  for await (const chunk of iterateLogChunks(log(BYTES), { taskKey: 'ingestion_task' })) { chars += chunk.text.length; sample(); }
  return chars;
});
console.log(JSON.stringify({ request, pass }));
`;

describe('log streaming memory', () => {
  it('serves a 50 MB log with peak heap growth of at most 64 MB', () => {
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', SCRIPT], {
      encoding: 'utf8',
      cwd: import.meta.dirname,
      timeout: 60_000,
    });
    expect(child.stderr).toBe('');
    const figures = JSON.parse(child.stdout) as Record<
      'request' | 'pass',
      { result: number; growth: number }
    >;
    expect(figures.request.result).toBeGreaterThan(300); // chunks: the log was really read through
    expect(figures.pass.result).toBeGreaterThan(40_000_000); // characters served
    expect(figures.request.growth).toBeLessThanOrEqual(64 * 1024 * 1024);
    expect(figures.pass.growth).toBeLessThanOrEqual(64 * 1024 * 1024);
  });
});
