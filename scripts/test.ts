// `npm test`: the one test command, run by CI as it is. Lint, formatting, types, generated-file sync,
// then every test suite; prints the Node version it used and a closing `N passed, N failed` line.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

console.log(`Node ${process.version} (${process.execPath})`);
if (!process.version.startsWith('v24.')) {
  console.error(
    `Tests must run on Node 24, the Lambda runtime's major; got ${process.version}. Run them with npm test.`,
  );
  process.exit(1);
}

function step(name: string, command: string, args: string[]): void {
  const started = Date.now();
  console.log(`\n== ${name}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: process.env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`== ${name} failed after ${seconds}s (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
  console.log(`== ${name} ok (${seconds}s)`);
}

// The outside implementations the tests check against (botocore's models, Debian's kubectl), so `npm test`
// works on a fresh machine as CI's does; quick when they are there.
step('outside tools', 'bash', ['scripts/install-test-tools.sh']);
step('lint', 'npx', ['eslint', '.']);
step('format', 'npx', ['prettier', '--check', '.']);
// SST generates its platform types and components offline from the npm registry; the stack tests and the
// stack type check need them, and a clean clone has none.
step('sst platform', process.execPath, ['scripts/sst-setup.ts']);
step('types', 'npx', ['tsc', '-p', 'tsconfig.json']);
step('stack types', 'npx', ['tsc', '-p', 'tsconfig.stacks.json']);

const report = join(tmpdir(), `vitest-report-${process.pid}.json`);
const started = Date.now();
console.log('\n== tests');
const run = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
  {
    stdio: 'inherit',
    env: process.env,
  },
);
let passed = 0;
let failed = 0;
let skipped = 0;
let failedFiles = 0;
try {
  const summary = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    testResults: { status: string }[];
  };
  passed = summary.numPassedTests;
  failed = summary.numFailedTests;
  skipped = summary.numPendingTests + summary.numTodoTests;
  // A file that fails before its tests run (setup, import) counts no failed test: count it here. Per file,
  // not numFailedTestSuites, which also counts each failed describe block.
  failedFiles = summary.testResults.filter((file) => file.status === 'failed').length;
  rmSync(report, { force: true });
} catch {
  failed = Math.max(failed, 1);
}
console.log(`== tests took ${((Date.now() - started) / 1000).toFixed(1)}s on Node ${process.version}`);
console.log(
  `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}` +
    (failedFiles ? ` (${failedFiles} test file${failedFiles === 1 ? '' : 's'} failed)` : ''),
);
if (run.status !== 0 || failed > 0 || failedFiles > 0 || passed === 0) process.exit(run.status || 1);
