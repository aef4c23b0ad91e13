// Secrets for the local Secrets Manager stand-in, from a seed file: a JSON object {"<secret name>": "<value>"}
// (for example connection passwords referenced as `secret:/collate/hybrid-ingestion-runner/<name>`). The
// file is read once at start; values are never printed, only names and counts.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SEED_SECRETS_ENV = 'SEED_SECRETS_FILE';
export const DEFAULT_SEED_SECRETS_FILE = join('.hybrid-runner', 'secrets.json');

export class SeedSecretsError extends Error {
  constructor(path: string, problem: string) {
    super(
      `${path}: ${problem}. The seed file is a JSON object of secret names to string values, e.g. ` +
        `{"/collate/hybrid-ingestion-runner/mysql-prod-password": "…"}.`,
    );
    this.name = 'SeedSecretsError';
  }
}

/**
 * The seed file to read: $SEED_SECRETS_FILE (which must exist), else `<root>/.hybrid-runner/secrets.json`
 * when present, else none.
 */
export function seedSecretsPath(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env[SEED_SECRETS_ENV];
  if (named) {
    const path = resolve(root, named);
    if (!existsSync(path)) throw new SeedSecretsError(path, `does not exist (named by ${SEED_SECRETS_ENV})`);
    return path;
  }
  const fallback = join(root, DEFAULT_SEED_SECRETS_FILE);
  return existsSync(fallback) ? fallback : undefined;
}

/** Parses a seed file's text; the error names the offending key, never a value. */
export function parseSeedSecrets(text: string, path: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // JSON.parse's message may quote the text around the error, which may be a secret value.
    throw new SeedSecretsError(path, `is not valid JSON (${(error as Error).name})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SeedSecretsError(path, 'must hold a JSON object');
  }
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
      throw new SeedSecretsError(
        path,
        `"${name.slice(0, 80)}" is not a Secrets Manager name (letters, digits and /_+=.@-)`,
      );
    }
    if (typeof value !== 'string' || value === '') {
      throw new SeedSecretsError(path, `the value of "${name}" must be a non-empty string`);
    }
    secrets[name] = value;
  }
  return secrets;
}

export function readSeedSecrets(path: string): Record<string, string> {
  return parseSeedSecrets(readFileSync(path, 'utf8'), path);
}
