import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseStageConfig } from '@hybrid-runner/config';
import { importValuesCommand } from '../../../packages/cli/src/commands/import-values.ts';

function sink() {
  const chunks: string[] = [];
  return { chunks, write: (text: string) => chunks.push(text), text: () => chunks.join('') };
}

const values = `config:
  agentId: aws-prod
  authToken: super-secret-jwt-value
  serverHost: acme.getcollate.io
replicaCount: 2
`;

describe('import-values command', () => {
  const directory = mkdtempSync(join(tmpdir(), 'import-values-'));
  const valuesFile = join(directory, 'values.yaml');
  writeFileSync(valuesFile, values);

  it('writes a commented stage file to stdout without the secret', () => {
    const stdout = sink();
    const stderr = sink();
    expect(importValuesCommand({ valuesFile, stage: 'prod', stdout, stderr })).toBe(0);
    const text = stdout.text();
    expect(text).not.toContain('super-secret-jwt-value');
    expect(text).toContain(
      '#     npx sst secret set CollateAuthToken --stage prod (it prompts for the ingestion bot JWT;',
    );
    expect(text).toContain('#   replicaCount: the runner pod is replaced by Lambda functions');
    expect(text).toContain('# Fill in before deploying: cluster.name, cluster.region.');
    const config = parseYaml(text) as Record<string, unknown>;
    expect(parseStageConfig({ ...config, cluster: { name: 'eks' } }).agentId).toBe('aws-prod');
    expect(stderr.text()).toBe('');
  });

  it('writes to a file when asked and summarises on stderr', () => {
    const output = join(directory, 'prod.yaml');
    const stderr = sink();
    expect(importValuesCommand({ valuesFile, output, stdout: sink(), stderr })).toBe(0);
    expect(readFileSync(output, 'utf8')).toContain('serverHost: acme.getcollate.io');
    expect(stderr.text()).toMatch(/1 secret\(s\) to store, 1 value\(s\) without equivalent/);
  });

  it('exits 2 with an actionable message for a missing file or bad values', () => {
    const stderr = sink();
    expect(importValuesCommand({ valuesFile: join(directory, 'nope.yaml'), stdout: sink(), stderr })).toBe(2);
    expect(stderr.text()).toMatch(/Cannot read .*nope.yaml.*Give the path of your values.yaml/);
    const bad = join(directory, 'bad.yaml');
    writeFileSync(bad, 'config:\n  secretsManager: vault\n');
    const badErr = sink();
    expect(importValuesCommand({ valuesFile: bad, stdout: sink(), stderr: badErr })).toBe(2);
    expect(badErr.text()).toContain('secretsManager.provider: must be one of');
  });

  it('writes an outbound stage with --mode outbound, and names the choices for an unknown mode', () => {
    const stdout = sink();
    const stderr = sink();
    expect(importValuesCommand({ valuesFile, mode: 'outbound', stdout, stderr })).toBe(0);
    const text = stdout.text();
    expect(text).toContain(
      '# Outbound mode: the keeper dials wss://acme.getcollate.io/api/v1/hybrid-runner/ws as the published runner does;',
    );
    const config = parseStageConfig({
      ...(parseYaml(text) as Record<string, unknown>),
      cluster: { name: 'eks' },
    });
    expect(config.bridge.mode).toBe('outbound');
    expect(config.bridge.outbound.url).toBe('wss://acme.getcollate.io/api/v1/hybrid-runner/ws');
    expect(text).not.toContain('super-secret-jwt-value');

    const inbound = sink();
    expect(importValuesCommand({ valuesFile, stdout: inbound, stderr: sink() })).toBe(0);
    expect(inbound.text()).not.toContain('bridge:');
    expect(inbound.text()).not.toContain('Outbound mode');

    const wrong = sink();
    const untouched = join(directory, 'not-written.yaml');
    expect(
      importValuesCommand({ valuesFile, mode: 'sideways', output: untouched, stdout: sink(), stderr: wrong }),
    ).toBe(2);
    expect(wrong.text()).toMatch(/^--mode "sideways" is not a bridge mode: use one of inbound, outbound/);
    expect(() => readFileSync(untouched)).toThrow();
  });
});
