import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MIN_SECRET_LENGTH,
  REDACTED,
  clearRegisteredSecrets,
  createLogger,
  redactText,
  redactValue,
  registerSecret,
  registeringSecrets,
} from '@hybrid-runner/observability';
import { allStrings, captureOutput } from './capture.ts';

beforeEach(() => clearRegisteredSecrets());
afterEach(() => clearRegisteredSecrets());

/** Where a secret can end up in a log call. */
const PLACES = [
  'message',
  'extra value',
  'extra key',
  'nested value',
  'nested key',
  'array item',
  'error message',
  'error cause',
  'error field',
  'appended key',
] as const;
type Place = (typeof PLACES)[number];

function logWith(place: Place, text: string): string {
  const logger = createLogger({ serviceName: 'redaction-test', logLevel: 'DEBUG' });
  const output = captureOutput();
  try {
    switch (place) {
      case 'message':
        logger.info(text);
        break;
      case 'extra value':
        logger.info('event', { detail: text });
        break;
      case 'extra key':
        logger.info('event', { [text]: 1 });
        break;
      case 'nested value':
        logger.warn('event', { outer: { inner: [{ deep: { value: text } }] } });
        break;
      case 'nested key':
        logger.warn('event', { outer: { inner: { [text]: { ok: true } } } });
        break;
      case 'array item':
        logger.debug('event', { list: ['a', text, 'b'] });
        break;
      case 'error message':
        logger.error('failed', new Error(text));
        break;
      case 'error cause':
        logger.error('failed', { error: new Error('outer', { cause: new Error(text) }) });
        break;
      case 'error field':
        logger.error('failed', Object.assign(new Error('outer'), { detail: { reason: text } }));
        break;
      case 'appended key':
        logger.appendKeys({ context: text });
        logger.info('event');
        break;
    }
    return output.text();
  } finally {
    output.restore();
  }
}

function leaks(output: string, secret: string): boolean {
  if (output.includes(secret) || output.includes(JSON.stringify(secret).slice(1, -1))) return true;
  const strings = output
    .split('\n')
    .filter((line) => line.trim())
    .flatMap((line) => allStrings(JSON.parse(line)));
  return strings.some((value) => value.includes(secret));
}

const secretArbitrary = fc.oneof(
  fc.string({ minLength: 8, maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 8, maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 4, maxLength: 20 }).filter((text) => text.length >= 8),
  fc.base64String({ minLength: 12, maxLength: 60 }),
);

describe('registered secrets never reach a log line', () => {
  it('hides a random secret embedded anywhere: message, keys, nested objects, arrays, errors and their stacks', () => {
    fc.assert(
      fc.property(
        secretArbitrary,
        fc.constantFrom(...PLACES),
        fc.string({ maxLength: 12 }),
        fc.string({ maxLength: 12 }),
        (secret, place, before, after) => {
          clearRegisteredSecrets();
          // The frame of a log line (level names, timestamps, the marker) may contain a short secret by chance;
          // only secrets that cannot appear without being logged are meaningful.
          const baseline = logWith(place, `${before}${after}`);
          fc.pre(!leaks(baseline, secret) && !`${before}${REDACTED}${after}`.includes(secret));
          expect(registerSecret(secret)).toBe(true);
          const output = logWith(place, `${before}${secret}${after}`);
          expect(leaks(output, secret)).toBe(false);
          expect(output).toContain(REDACTED);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hides the JSON-escaped, URL-encoded and base64 forms of a registered value', () => {
    const secret = 'pa"ss/wo rd\\x';
    registerSecret(secret);
    for (const form of [
      JSON.stringify(secret).slice(1, -1),
      encodeURIComponent(secret),
      Buffer.from(secret).toString('base64'),
    ]) {
      expect(redactText(`before ${form} after`)).toBe(`before ${REDACTED} after`);
    }
  });

  it('does not register values too short to redact safely, and says so', () => {
    expect(registerSecret('abc')).toBe(false);
    expect(registerSecret('')).toBe(false);
    expect(registerSecret(undefined)).toBe(false);
    expect(redactText('abc abc')).toBe('abc abc');
    expect(registerSecret('a'.repeat(MIN_SECRET_LENGTH))).toBe(true);
  });

  it('removes a secret that contains another registered secret whole', () => {
    registerSecret('token-part');
    registerSecret('prefix-token-part-suffix');
    expect(redactText('x prefix-token-part-suffix y')).toBe(`x ${REDACTED} y`);
  });
});

describe('credential shapes are redacted without registration', () => {
  const cases: Array<[string, string]> = [
    ['a JWT', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpbmdlc3Rpb24tYm90In0.c2lnbmF0dXJl'],
    [
      'a JWT whose payload is not JSON-looking',
      'eyJhbGciOiJSUzI1NiJ9.e2e-bot-token-never-echoed.c2lnbmF0dXJl',
    ],
    ['an EKS token', 'k8s-aws-v1.aHR0cHM6Ly9zdHMuZXUtd2VzdC0xLmFtYXpvbmF3cy5jb20v'],
    ['an AWS access key id', 'AKIAIOSFODNN7EXAMPLE'],
    ['temporary access key id', 'ASIAIOSFODNN7EXAMPLE'],
    ['an ECR authorization token', Buffer.from('AWS:eyJwYXlsb2FkIjoiYWJjZGVm').toString('base64')],
    ['an ECR password', 'eyJwYXlsb2FkIjoiWmF6YXphemF6YXphemF6YQ=='],
  ];
  it.each(cases)('%s', (_name, credential) => {
    const text = redactText(`value=${credential}; next`);
    expect(text).not.toContain(credential);
    expect(text).toContain(REDACTED);
    expect(text).toMatch(/^value=\[REDACTED\]; next$/);
  });

  it('keeps the parameter name of presigned URL credentials but drops their values', () => {
    const url =
      'https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&X-Amz-Credential=ASIAX%2F20260101&X-Amz-Security-Token=IQoJb3JpZ2lu&X-Amz-Signature=abc123';
    const text = redactText(url);
    expect(text).toContain('Action=GetCallerIdentity');
    expect(text).toContain(`X-Amz-Signature=${REDACTED}`);
    expect(text).toContain(`X-Amz-Security-Token=${REDACTED}`);
    expect(text).not.toContain('IQoJb3JpZ2lu');
    expect(text).not.toContain('abc123');
  });

  it('redacts bearer tokens in headers, not the words "bearer token" in prose', () => {
    expect(redactText('Authorization: Bearer opaque.token-value')).toBe(`Authorization: ${REDACTED}`);
    expect(redactText('refused: no bearer token in the handshake')).toBe(
      'refused: no bearer token in the handshake',
    );
  });

  it('leaves ordinary text alone', () => {
    const text = 'Run 3f2a of db.schema.pipeline failed: ImagePullBackOff (eyJ only is not a token)';
    expect(redactText(text)).toBe(text);
  });
});

describe('sensitive keys', () => {
  it('hide their values whatever they look like, at any depth, keeping the structure', () => {
    const value = redactValue({
      config: { password: 'short', nested: [{ secretAccessKey: 'x'.repeat(40), accessKeyId: 'id' }] },
      headers: { Authorization: 'Basic abc', 'content-type': 'application/json' },
      jwtToken: 'opaque',
      ecrCredentialsExpireAt: '2026-01-01T00:00:00.000Z',
    });
    expect(value).toEqual({
      config: { password: REDACTED, nested: [{ secretAccessKey: REDACTED, accessKeyId: 'id' }] },
      headers: { Authorization: REDACTED, 'content-type': 'application/json' },
      jwtToken: REDACTED,
      ecrCredentialsExpireAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('keeps two keys apart when both redact to the same text', () => {
    registerSecret('secret-one');
    registerSecret('secret-two');
    expect(redactValue({ 'secret-one': 1, 'secret-two': 2 })).toEqual({
      [REDACTED]: 1,
      [`${REDACTED}#2`]: 2,
    });
  });

  it('drop the raw HTTP response of SDK errors', () => {
    const error = Object.assign(new Error('AccessDenied'), {
      $response: { headers: { 'x-amz-security-token': 'abc' }, body: 'raw' },
      code: 'AccessDenied',
    });
    const value = redactValue({ error }) as { error: Record<string, unknown> };
    expect(value.error).toMatchObject({ name: 'Error', message: 'AccessDenied', code: 'AccessDenied' });
    expect(value.error).not.toHaveProperty('$response');
  });
});

describe('whole events and odd values', () => {
  it('logs a $connect event whole without its bearer token or any config secret', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib3QifQ.sig-nature_value';
    registerSecret(token);
    const event = {
      headers: { Authorization: `Bearer ${token}`, 'X-Agent-Id': 'RemoteRunner' },
      multiValueHeaders: { Authorization: [`Bearer ${token}`] },
      body: JSON.stringify({ payload: { workflowConfig: { securityConfig: { jwtToken: token } } } }),
      requestContext: { connectionId: 'abc=', routeKey: '$connect' },
    };
    const output = logEvent(event);
    expect(output).not.toContain(token);
    expect(output).not.toContain('sig-nature_value');
    expect(output).toContain('RemoteRunner');
    expect(output).toContain('abc=');
  });

  it('never prints the bytes of a Buffer', () => {
    expect(redactValue({ key: Buffer.from('secret bytes') })).toEqual({ key: '[12 bytes]' });
  });
});

function logEvent(event: unknown): string {
  const logger = createLogger({ serviceName: 'redaction-test', logLevel: 'DEBUG' });
  const output = captureOutput();
  try {
    logger.info('event', { event });
    return output.text();
  } finally {
    output.restore();
  }
}

describe('registeringSecrets', () => {
  it('registers what a loader returns before handing it on', async () => {
    const login = registeringSecrets(
      async (host: string) => ({ host, username: 'AWS', password: 'ecr-password-value-123' }),
      (credentials) => [credentials.password],
    );
    expect(redactText('ecr-password-value-123')).toBe('ecr-password-value-123');
    await expect(login('registry.example')).resolves.toMatchObject({ host: 'registry.example' });
    expect(redactText('pull with ecr-password-value-123')).toBe(`pull with ${REDACTED}`);
  });
});
