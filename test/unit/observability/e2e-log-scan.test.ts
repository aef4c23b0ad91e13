// The issue's "done when": the end-to-end suite's complete output (every log line at DEBUG, every test
// message), produced with a known bot token and known ECR keys, contains none of them, nor anything shaped
// like a credential. Runs the suites in a child process exactly as CI does, then scans what they printed.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRET_PATTERNS } from '@hybrid-runner/observability';
import { TOKEN } from '../../e2e/bridge/stage.ts';

const root = join(import.meta.dirname, '..', '..', '..');
/**
 * The end-to-end suites (the bridge, and the local stage, which loads secret values from its Secrets Manager
 * stand-in for test connections and prints its whole DEBUG output when asked), and the registry refresh over
 * the wire (the code path that holds ECR keys).
 */
const SUITES = ['test/e2e', 'test/contract/ecr/refresh.contract.test.ts'];
const LOCAL_STAGE_SUITE = 'test/e2e/local-stage/local-stage.e2e.test.ts';

/** A string constant declared in a suite's source (the suites are not imported: that would run them). */
function constantOf(file: string, name: string, what: string): string {
  const value = new RegExp(`const ${name} = '([^']+)'`).exec(readFileSync(join(root, file), 'utf8'))?.[1];
  if (!value) throw new Error(`${file} no longer declares ${name}: point this scan at its ${what}.`);
  return value;
}

/** Known secret values of those suites. */
function knownSecrets(): Record<string, string> {
  return {
    'bot token': TOKEN,
    'ECR access key id': constantOf(SUITES[1]!, 'ACCESS_KEY_ID', 'known ECR key'),
    'ECR secret access key': constantOf(SUITES[1]!, 'SECRET_ACCESS_KEY', 'known ECR key'),
    'seeded secret value': constantOf(LOCAL_STAGE_SUITE, 'SEEDED_VALUE', 'seeded secret value'),
    'secret value put later': constantOf(LOCAL_STAGE_SUITE, 'PUT_VALUE', 'secret value put later'),
  };
}

/** Every finding of a known secret (plain or JSON-escaped) or of a credential shape in the text. */
function findSecrets(text: string, secrets: Record<string, string>): string[] {
  const findings: string[] = [];
  for (const [what, value] of Object.entries(secrets)) {
    for (const form of new Set([value, JSON.stringify(value).slice(1, -1)])) {
      const at = text.indexOf(form);
      if (at >= 0) findings.push(`${what} at offset ${at}`);
    }
  }
  for (const { name, pattern } of SECRET_PATTERNS) {
    for (const match of text.matchAll(new RegExp(pattern.source, pattern.flags))) {
      findings.push(`${name}-shaped text at offset ${match.index}: ${match[0].slice(0, 12)}…`);
    }
  }
  return findings;
}

function runSuites(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=verbose', ...SUITES],
      {
        cwd: root,
        env: {
          ...process.env,
          POWERTOOLS_LOG_LEVEL: 'DEBUG',
          FORCE_COLOR: '0',
          NO_COLOR: '1',
          E2E_ECHO_LOCAL_STAGE_OUTPUT: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

describe('end-to-end log output', () => {
  // 360 s: the bridge suites run in both modes (inbound and outbound) since issue 12, and the archived-logs
  // suite starts two local stages (issue 14).
  it('contains no known secret and nothing shaped like a credential', { timeout: 360_000 }, async () => {
    const secrets = knownSecrets();
    const { code, output } = await runSuites();
    expect(code, `the suites failed; fix them first:\n${output.slice(-4000)}`).toBe(0);
    // The scan means something only if the handlers logged: count their JSON lines.
    const logLines = output.split('\n').filter((line) => line.startsWith('{') && line.includes('"level"'));
    expect(logLines.length).toBeGreaterThan(100);
    expect(output).toContain('"message":"Connection opened"');
    // The local stage's output is in it, and that stage really read the secret values for its runs.
    const stageOutput = output.slice(
      output.indexOf(constantOf(LOCAL_STAGE_SUITE, 'STAGE_OUTPUT_BEGINS', 'output marker')),
    );
    expect(stageOutput.length).toBeGreaterThan(1000);
    expect(stageOutput).toContain('"message":"Connection opened"');
    expect(findSecrets(output, secrets)).toEqual([]);
  });

  it('the scan finds each known secret and credential shape when one is there', () => {
    const secrets = knownSecrets();
    for (const [what, value] of Object.entries(secrets)) {
      expect(findSecrets(`{"message":"x ${value} y"}`, secrets).join()).toContain(what);
      expect(findSecrets(`{"message":${JSON.stringify(`x "${value}\\"`)}}`, secrets).join()).toContain(what);
    }
    expect(findSecrets('token k8s-aws-v1.aHR0cHM6Ly9zdHM', {}).join()).toContain('eks-token');
  });
});
