// Generates .sst/platform (SST's components and types, with the Pulumi providers) when it is missing, as on
// a clean clone. `sst install` needs only the npm registry with these variables: no Pulumi download, no
// telemetry, no Bun. Stack tests and `tsc -p tsconfig.stacks.json` need the result.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const platform = join(root, '.sst', 'platform');
const ready = [
  'config.d.ts',
  join('node_modules', '@pulumi', 'aws'),
  join('node_modules', '@pulumi', 'kubernetes'),
];
const force = process.argv.includes('--force');

const sstVersion = (
  JSON.parse(readFileSync(join(root, 'node_modules', 'sst', 'package.json'), 'utf8')) as { version: string }
).version;
const platformVersion = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
const current =
  ready.every((file) => existsSync(join(platform, file))) &&
  platformVersion(join(platform, 'version')) === sstVersion;
if (!force && current) {
  console.log(`.sst/platform is present for sst ${sstVersion} (use --force to regenerate).`);
  process.exit(0);
}

const stage = process.env.SST_STAGE ?? 'ci';
console.log(`Generating .sst/platform with sst install --stage ${stage} (about a minute)...`);
const started = Date.now();
// node_modules/.bin first so SST's npm install runs on the project's Node 24.
const bin = join(root, 'node_modules', '.bin');
const result = spawnSync(join(bin, 'sst'), ['install', '--stage', stage], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    SST_TELEMETRY_DISABLED: '1',
    SST_SKIP_DEPENDENCY_CHECK: '1',
    SST_NO_BUN: '1',
  },
});
if (result.status !== 0 || !ready.every((file) => existsSync(join(platform, file)))) {
  console.error(
    `sst install failed (exit ${result.status ?? result.signal}). It needs the npm registry; run it again with network access, or check sst.config.ts for syntax errors.`,
  );
  process.exit(result.status || 1);
}
console.log(`.sst/platform generated in ${((Date.now() - started) / 1000).toFixed(1)}s.`);
