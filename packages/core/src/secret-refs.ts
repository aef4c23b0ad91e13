// `secret:` references in request payloads. The ingestion pod resolves them itself, and on a failed lookup it
// carries on with the literal string, so a bad reference would surface late as a database login failure.
// The runner therefore checks every reference before it submits anything: it must lie strictly under the
// configured prefix (the IAM policy's scope) and exist. Messages name the field and the reference, never a value.
import { SecretReferenceError } from './errors.ts';
import type { SecretStore } from './ports.ts';

export const SECRET_REFERENCE_SCHEME = 'secret:';

/** AWS Secrets Manager names are at most 512 characters of `[A-Za-z0-9/_+=.@-]`. */
const MAX_SECRET_NAME_LENGTH = 512;
const SECRET_NAME_CHARACTERS = /^[A-Za-z0-9/_+=.@-]+$/;
const MAX_DEPTH = 64;

export interface SecretReferenceLocation {
  /** Field path in the payload, e.g. `workflow.request.connection.config.password` or `items[2].key`. */
  path: string;
  /** The string as found, including the `secret:` scheme. */
  reference: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function childPath(parent: string, key: string): string {
  if (IDENTIFIER.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

/**
 * Every string value that starts with `secret:`, with its field path, in document order. Walks objects and
 * arrays to any depth (guarded against cycles and absurd nesting). `basePath` prefixes every path.
 */
export function findSecretReferences(payload: unknown, basePath = ''): SecretReferenceLocation[] {
  const found: SecretReferenceLocation[] = [];
  const seen = new WeakSet<object>();
  const visit = (value: unknown, path: string, depth: number): void => {
    if (typeof value === 'string') {
      if (value.startsWith(SECRET_REFERENCE_SCHEME)) found.push({ path, reference: value });
      return;
    }
    if (value === null || typeof value !== 'object' || depth > MAX_DEPTH || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, `${path}[${index}]`, depth + 1));
      return;
    }
    for (const [key, item] of Object.entries(value)) visit(item, childPath(path, key), depth + 1);
  };
  visit(payload, basePath, 0);
  return found;
}

/** The prefix with exactly one trailing slash; rejects prefixes that could not scope anything. */
export function normalizeSecretPrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  if (trimmed === '' || !SECRET_NAME_CHARACTERS.test(trimmed) || hasUnsafeSegment(trimmed, true)) {
    throw new SecretReferenceError(
      'settings.secretsManager.prefix',
      prefix,
      `The configured secret prefix ${JSON.stringify(prefix)} is not a usable path prefix: use slash-separated ` +
        `names of [A-Za-z0-9_+=.@-] without "." or ".." segments, e.g. /collate/hybrid-ingestion-runner/.`,
    );
  }
  return `${trimmed}/`;
}

function hasUnsafeSegment(path: string, allowLeadingSlash: boolean): boolean {
  const segments = path.split('/');
  return segments.some(
    (segment, index) =>
      (segment === '' && !(allowLeadingSlash && index === 0)) || segment === '.' || segment === '..',
  );
}

function describe(reference: string): string {
  // JSON.stringify escapes control characters, and long references are cut so a message stays readable.
  const shown = reference.length > 200 ? `${reference.slice(0, 200)}…` : reference;
  return JSON.stringify(shown);
}

/**
 * Checks one reference (with or without the `secret:` scheme) against the prefix and returns the secret name to
 * look up. Accepts only names strictly under the prefix made of Secrets Manager's character set, with no empty,
 * `.` or `..` segments; so percent-encoding, backslashes, control characters and `//` are all refused rather
 * than normalised (a name that needs normalising is not the name the pod will look up).
 */
export function checkSecretReference(reference: string, prefix: string, field = 'payload'): string {
  const scope = normalizeSecretPrefix(prefix);
  const name = reference.startsWith(SECRET_REFERENCE_SCHEME)
    ? reference.slice(SECRET_REFERENCE_SCHEME.length)
    : reference;
  const fail = (why: string): never => {
    throw new SecretReferenceError(
      field,
      reference,
      `${field}: secret reference ${describe(reference)} ${why}. ` +
        `Store the secret under ${scope} and reference it as ${SECRET_REFERENCE_SCHEME}${scope}<name>.`,
    );
  };
  if (name.length === 0) fail('names no secret');
  if (name.length > MAX_SECRET_NAME_LENGTH) fail(`is longer than ${MAX_SECRET_NAME_LENGTH} characters`);
  if (!SECRET_NAME_CHARACTERS.test(name)) {
    fail('contains characters a secret name cannot have (only A-Z a-z 0-9 / _ + = . @ - are allowed)');
  }
  if (hasUnsafeSegment(name, true)) fail('contains an empty, "." or ".." path segment');
  if (!name.startsWith(scope) || name.length === scope.length) {
    fail(`is not under the configured prefix ${JSON.stringify(scope)}`);
  }
  return name;
}

/**
 * Checks EVERY `secret:` reference in `payload`: first all of them against the prefix (no lookups for a
 * payload that is already wrong), then their existence through the store, concurrently. Throws a
 * SecretReferenceError for the first failure in document order.
 */
export async function verifySecretReferences(
  payload: unknown,
  options: { prefix: string; store: SecretStore; basePath?: string },
): Promise<SecretReferenceLocation[]> {
  const references = findSecretReferences(payload, options.basePath ?? '');
  const names = references.map((found) => checkSecretReference(found.reference, options.prefix, found.path));
  const unique = [...new Set(names)];
  const existing = new Map<string, boolean>();
  await Promise.all(
    unique.map(async (name) => {
      existing.set(name, await options.store.exists(name));
    }),
  );
  references.forEach((found, index) => {
    if (existing.get(names[index] as string) !== true) {
      throw new SecretReferenceError(
        found.path,
        found.reference,
        `${found.path}: secret reference ${describe(found.reference)} does not exist. Create the secret ` +
          `${JSON.stringify(names[index])} in the configured secrets manager, or fix the reference.`,
      );
    }
  });
  return references;
}
