// `npm run bench`: runs every bench/*.bench.ts in its own process (so one's heap and JIT state do not
// colour the next) and prints their figures.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const only = process.argv.slice(2);
const files = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
console.log(`# Benchmarks on Node ${process.version}: ${files.join(', ')}`);
let failures = 0;
for (const file of files) {
  const result = spawnSync(process.execPath, ['--expose-gc', join(import.meta.dirname, file)], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failures++;
}
process.exit(failures ? 1 : 0);
