// Frames parsed per second by parseFrame (size check, UTF-8, JSON, envelope and payload validation),
// against plain JSON.parse of the same frames measured in the same run.
//   npx node bench/protocol.bench.ts     (or: npm run bench protocol)
import { parseFrame } from '@hybrid-runner/protocol';
import { measure, printFigures, printRatio } from './lib.ts';
import type { Figures } from './lib.ts';

const pipeline = {
  id: '6f1c2a9e-4b7d-4e8a-9c3f-2d5e7a1b0c4d',
  name: 'mysql_prod_metadata_ingestion',
  fullyQualifiedName: 'mysql_prod.mysql_prod_metadata_ingestion',
  pipelineType: 'metadata',
  enabled: true,
  airflowConfig: { scheduleInterval: '0 */6 * * *', pipelineTimezone: 'Europe/Paris', retries: 0 },
  loggerLevel: 'INFO',
  sourceConfig: {
    config: {
      type: 'DatabaseMetadata',
      markDeletedTables: true,
      includeTables: true,
      includeViews: true,
      schemaFilterPattern: { includes: ['sales', 'finance'], excludes: ['tmp_.*'] },
    },
  },
  service: { id: 'a1b2c3d4-0000-4000-8000-000000000001', type: 'databaseService', name: 'mysql_prod' },
};
const workflowConfig = {
  source: { type: 'mysql', serviceName: 'mysql_prod', sourceConfig: pipeline.sourceConfig },
  sink: { type: 'metadata-rest', config: {} },
  workflowConfig: {
    loggerLevel: 'INFO',
    openMetadataServerConfig: {
      hostPort: 'https://my-cluster.getcollate.io/api',
      authProvider: 'openmetadata',
    },
  },
};

const frames: Array<{ name: string; frame: string | Buffer }> = [
  { name: 'small ping', frame: JSON.stringify({ v: 1, id: 'p-1', type: 'ping', payload: {} }) },
  {
    name: 'typical runPipeline',
    frame: JSON.stringify({
      v: 1,
      id: 'c0ffee-42',
      type: 'runPipeline',
      payload: { pipeline, workflowConfig },
    }),
  },
  {
    name: '100 KiB deployPipeline',
    frame: JSON.stringify({
      v: 1,
      id: 'deploy-1',
      type: 'deployPipeline',
      payload: { pipeline, workflowConfig: `source:\n  type: mysql\n# ${'x'.repeat(100 * 1024)}\n` },
    }),
  },
  {
    name: '100 KiB as Buffer',
    frame: Buffer.from(
      JSON.stringify({
        v: 1,
        id: 'b',
        type: 'deployPipeline',
        payload: { pipeline, workflowConfig: 'y'.repeat(100 * 1024) },
      }),
    ),
  },
  { name: 'garbage (1 KiB, not JSON)', frame: `{"v":1,"id":"g",${'\u0000{]'.repeat(340)}` },
];

function plainParse(frame: string | Buffer): unknown {
  try {
    return JSON.parse(typeof frame === 'string' ? frame : frame.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Runs `fn` `batch` times per timed sample, so timer overhead does not swamp sub-microsecond work. */
function batched(fn: () => unknown, batch: number): () => void {
  return () => {
    for (let i = 0; i < batch; i++) fn();
  };
}

const rows: Figures[] = [];
const ratios: Array<[string, number, number]> = [];
for (const { name, frame } of frames) {
  const bytes = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength;
  const batch = bytes > 10_000 ? 5 : 200;
  const options = { samples: 400, warmup: 100 };
  const label = `${name} (${bytes} B, ${batch} frames per sample)`;
  // Two rounds, alternating, and the second one reported: both functions are equally warm.
  let baseline: Figures | undefined;
  let parsed: Figures | undefined;
  for (let round = 0; round < 2; round++) {
    baseline = await measure(
      `JSON.parse: ${label}`,
      batched(() => plainParse(frame), batch),
      options,
    );
    parsed = await measure(
      `parseFrame: ${label}`,
      batched(() => parseFrame(frame), batch),
      options,
    );
  }
  if (!baseline || !parsed) throw new Error('no measurement');
  rows.push(baseline, parsed);
  ratios.push([name, parsed.opsPerSecond * batch, baseline.opsPerSecond * batch]);
}
const huge = 'z'.repeat(10 * 1024 * 1024);
rows.push(
  await measure('parseFrame: 10 MiB string (rejected by size, 1 per sample)', () => parseFrame(huge)),
);

printFigures('bridge frame parsing (median/p99 per sample)', rows);
console.log('\nFrames per second, parseFrame against plain JSON.parse of the same frames (same run):');
for (const [name, parsedPerSecond, baselinePerSecond] of ratios) {
  printRatio(name, parsedPerSecond, 'JSON.parse', baselinePerSecond, 'frames/s');
}
