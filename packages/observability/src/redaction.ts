// Redaction: the last line of defence that keeps secrets out of log lines. Two kinds of secret are caught:
// values the process has loaded (registered by the composition roots: the bot JWT, Collate's ECR keys, the
// ECR password, secret-store values) and anything shaped like a credential (JWTs, EKS tokens, bearer
// tokens, AWS access key ids, presigned-URL signatures, ECR authorization tokens), whoever logged it.

export const REDACTED = '[REDACTED]';

/** Shorter values are not registered: redacting every 1–3 character substring would make logs unreadable. */
export const MIN_SECRET_LENGTH = 4;

/** Credential shapes redacted wherever they appear, registered or not. */
export const SECRET_PATTERNS: ReadonlyArray<{ name: string; pattern: RegExp }> = [
  // A JWT: base64url header starting `{"` (eyJ), payload, signature.
  { name: 'jwt', pattern: /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g },
  // An EKS bearer token: a presigned STS URL, valid 15 minutes.
  { name: 'eks-token', pattern: /k8s-aws-v1\.[A-Za-z0-9_-]+/g },
  { name: 'bearer', pattern: /\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*/gi },
  { name: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g },
  // Presigned URL parts that grant access.
  { name: 'presigned', pattern: /\b(X-Amz-(?:Signature|Security-Token|Credential))=[^&\s"']+/gi },
  // ECR GetAuthorizationToken: base64("AWS:" + password), and the password (base64 of `{"payload":`).
  { name: 'ecr-authorization-token', pattern: /QVdTO[A-Za-z0-9+/]{16,}={0,2}/g },
  { name: 'ecr-password', pattern: /eyJwYXlsb2FkIjoi[A-Za-z0-9+/]{8,}={0,2}/g },
];

/** Object keys whose values are secrets whatever they look like. */
const SENSITIVE_KEY =
  /^(?:password|passwd|secret|secretaccesskey|secret_access_key|sessiontoken|session_token|token|authtoken|jwttoken|accesstoken|refreshtoken|idtoken|authorization|x-amz-security-token|privatekey|clientsecret|apikey|secretstring|secretvalue|secretbinary|authorizationtoken|dockerconfigjson|\.dockerconfigjson)$/i;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

const registered = new Set<string>();
let registeredPattern: RegExp | undefined;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The forms a value takes when it travels inside other text: as is, JSON-escaped, URL- and base64-encoded. */
function encodedForms(value: string): string[] {
  const forms = new Set([value, JSON.stringify(value).slice(1, -1)]);
  try {
    forms.add(encodeURIComponent(value));
  } catch {
    // A lone surrogate cannot be URL-encoded; the value itself is still covered.
  }
  const bytes = Buffer.from(value, 'utf8');
  forms.add(bytes.toString('base64'));
  forms.add(bytes.toString('base64url'));
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/**
 * Every later log line hides this value (and its JSON-escaped, URL and base64 forms). Composition roots call
 * it as they load a secret. Returns false for values too short to redact safely (see MIN_SECRET_LENGTH).
 */
export function registerSecret(value: string | undefined | null): boolean {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return false;
  let changed = false;
  for (const form of encodedForms(value)) {
    if (!registered.has(form)) {
      registered.add(form);
      changed = true;
    }
  }
  if (changed) registeredPattern = undefined;
  return true;
}

/** Forgets every registered value (tests; a process never needs it). */
export function clearRegisteredSecrets(): void {
  registered.clear();
  registeredPattern = undefined;
}

function registeredSecretsPattern(): RegExp | undefined {
  if (registered.size === 0) return undefined;
  // Longest first, so a secret that contains another is removed whole.
  registeredPattern ??= new RegExp(
    [...registered]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join('|'),
    'g',
  );
  return registeredPattern;
}

/** The text with every registered secret and credential-shaped substring replaced by [REDACTED]. */
export function redactText(text: string): string {
  let result = text;
  const secrets = registeredSecretsPattern();
  if (secrets) result = result.replace(secrets, REDACTED);
  for (const { name, pattern } of SECRET_PATTERNS) {
    result =
      name === 'presigned'
        ? result.replace(pattern, (_match, key: string) => `${key}=${REDACTED}`)
        : result.replace(pattern, REDACTED);
  }
  return result;
}

/** Error fields that are never logged: SDK errors carry the raw HTTP response. */
const OMITTED_ERROR_FIELDS = new Set(['$response', 'response', 'request', 'config']);

/** A plain, redacted copy of an error: name, message, stack, cause and its own scalar fields. */
function errorRecord(error: Error): Record<string, unknown> {
  const record: Record<string, unknown> = { name: error.name, message: error.message };
  if (error.stack) record.stack = error.stack;
  if (error.cause !== undefined) record.cause = error.cause;
  for (const [key, value] of Object.entries(error)) {
    if (!OMITTED_ERROR_FIELDS.has(key) && !(key in record)) record[key] = value;
  }
  return record;
}

/**
 * A JSON.stringify replacer that redacts strings, object keys, errors (message, stack, cause, fields) and
 * the values of sensitive keys, at every depth. Powertools Logger runs it on every log item.
 */
export function redactingReplacer(this: unknown, key: string, value: unknown): unknown {
  if (key && isSensitiveKey(key) && value !== undefined && value !== null && value !== '') return REDACTED;
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) return redactKeys(errorRecord(value));
  if (isSerializedBuffer(value)) return `[${value.data.length} bytes]`;
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)) {
    return redactKeys(value as Record<string, unknown>);
  }
  return value;
}

/** Buffers reach the replacer already turned into `{type:'Buffer', data:[…]}`: bytes are never logged. */
function isSerializedBuffer(value: unknown): value is { type: 'Buffer'; data: unknown[] } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data) &&
    Object.keys(value).length === 2
  );
}

function redactKeys(object: Record<string, unknown>): Record<string, unknown> {
  let needsCopy = false;
  for (const key of Object.keys(object)) {
    if (redactText(key) !== key) {
      needsCopy = true;
      break;
    }
  }
  if (!needsCopy) return object;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    let safeKey = redactText(key);
    for (let suffix = 2; Object.hasOwn(copy, safeKey); suffix++) safeKey = `${redactText(key)}#${suffix}`;
    copy[safeKey] = value;
  }
  return copy;
}

/** A deep, redacted, JSON-safe copy of any value (for messages built outside the logger). */
export function redactValue<T>(value: T): unknown {
  const text = JSON.stringify(value, redactingReplacer);
  return text === undefined ? undefined : JSON.parse(text);
}

/**
 * Wraps a loader of secrets (a token provider, a registry login) so that what it returns is registered
 * before anyone can log it: `registeringSecrets(provider, (token) => [token])`.
 */
export function registeringSecrets<Args extends unknown[], Value>(
  load: (...args: Args) => Promise<Value>,
  secretsOf: (value: Value) => Array<string | undefined | null>,
): (...args: Args) => Promise<Value> {
  return async (...args) => {
    const value = await load(...args);
    for (const secret of secretsOf(value)) registerSecret(secret);
    return value;
  };
}
