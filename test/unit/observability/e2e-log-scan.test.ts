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
/** The bridge end-to-end suite, and the registry refresh over the wire (the code path that holds ECR keys). */
const SUITES = ['test/e2e', 'test/contract/ecr/refresh.contract.test.ts'];

/** Known secret values of those suites. The ECR keys are module constants of the contract test. */
function knownSecrets(): Record<string, string> {
  const contract = readFileSync(join(root, SUITES[1]!), 'utf8');
  const constant = (name: string) => {
    const value = new RegExp(`const ${name} = '([^']+)'`).exec(contract)?.[1];
    if (!value)
      throw new Error(`${SUITES[1]} no longer declares ${name}: point this scan at its known ECR key.`);
    return value;
  };
  return {
    'bot token': TOKEN,
    'ECR access key id': constant('ACCESS_KEY_ID'),
    'ECR secret access key': constant('SECRET_ACCESS_KEY'),
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
        env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'DEBUG', FORCE_COLOR: '0', NO_COLOR: '1' },
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
  it('contains no known secret and nothing shaped like a credential', { timeout: 180_000 }, async () => {
    const secrets = knownSecrets();
    const { code, output } = await runSuites();
    expect(code, `the suites failed; fix them first:\n${output.slice(-4000)}`).toBe(0);
    // The scan means something only if the handlers logged: count their JSON lines.
    const logLines = output.split('\n').filter((line) => line.startsWith('{') && line.includes('"level"'));
    expect(logLines.length).toBeGreaterThan(100);
    expect(output).toContain('"message":"Connection opened"');
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
