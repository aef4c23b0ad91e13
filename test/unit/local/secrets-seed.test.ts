import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_SEED_SECRETS_FILE,
  SeedSecretsError,
  parseSeedSecrets,
  readSeedSecrets,
  seedSecretsPath,
} from '@hybrid-runner/local';

const root = mkdtempSync(join(tmpdir(), 'seed-secrets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('seed secrets for the local Secrets Manager stand-in', () => {
  it('reads a JSON object of names to values', () => {
    expect(
      parseSeedSecrets('{"/collate/hybrid-ingestion-runner/a": "one", "plain-name": "two"}', 'seed.json'),
    ).toEqual({ '/collate/hybrid-ingestion-runner/a': 'one', 'plain-name': 'two' });
  });

  it.each([
    ['not JSON', '{"a": "hunter2-value"', 'is not valid JSON'],
    ['an array', '["hunter2-value"]', 'must hold a JSON object'],
    ['a number value', '{"a": 42}', 'the value of "a" must be a non-empty string'],
    ['an empty value', '{"a": ""}', 'the value of "a" must be a non-empty string'],
    ['a name with spaces', '{"bad name": "hunter2-value"}', '"bad name" is not a Secrets Manager name'],
  ])('refuses %s with a fix and without echoing values', (_case, text, message) => {
    let error: unknown;
    try {
      parseSeedSecrets(text, 'seed.json');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SeedSecretsError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).toContain('seed.json');
    expect((error as Error).message).toContain('JSON object of secret names');
    expect((error as Error).message).not.toContain('hunter2-value');
  });

  it('uses SEED_SECRETS_FILE when set, and fails when it names a missing file', () => {
    const file = join(root, 'named.json');
    writeFileSync(file, '{"x": "y"}');
    expect(seedSecretsPath(root, { SEED_SECRETS_FILE: 'named.json' })).toBe(file);
    expect(() => seedSecretsPath(root, { SEED_SECRETS_FILE: 'missing.json' })).toThrow(
      /missing\.json: does not exist \(named by SEED_SECRETS_FILE\)/,
    );
  });

  it('falls back to .hybrid-runner/secrets.json when present, else none', () => {
    expect(seedSecretsPath(root, {})).toBeUndefined();
    mkdirSync(join(root, '.hybrid-runner'), { recursive: true });
    writeFileSync(join(root, DEFAULT_SEED_SECRETS_FILE), '{"k": "v"}');
    const path = seedSecretsPath(root, {});
    expect(path).toBe(join(root, DEFAULT_SEED_SECRETS_FILE));
    expect(readSeedSecrets(path as string)).toEqual({ k: 'v' });
  });
});
