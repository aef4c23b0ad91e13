// SigV4 checking for the AWS stand-ins: re-signs the received request with the secret of the access key
// it names (with the same @smithy/signature-v4 the SDK signs with) and compares signatures, so a stand-in
// refuses unknown keys and wrong secrets the way AWS does. It checks signatures, not IAM policies.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

export type SigV4Check =
  | { ok: true; accessKeyId: string; region: string; service: string }
  | {
      ok: false;
      status: number;
      errorType: string;
      message: string;
      /** What the credential scope named, when the header could be read (for request logs). */
      accessKeyId?: string;
      region?: string;
    };

/** Parses an `X-Amz-Date` (`20260101T000000Z`). */
function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}

/**
 * Verifies the SigV4 `Authorization` header of `request` (whose body was `body`). `secretFor` maps an
 * access key id to its secret; undefined means the key is unknown.
 */
export async function verifySigV4(
  request: IncomingMessage,
  body: Buffer,
  expectedService: string,
  secretFor: (accessKeyId: string) => string | undefined,
): Promise<SigV4Check> {
  const match = AUTHORIZATION.exec(String(request.headers.authorization ?? ''));
  if (!match) {
    return {
      ok: false,
      status: 403,
      errorType: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    };
  }
  const [, accessKeyId = '', , region = '', service = '', signedHeaderList = '', signature = ''] = match;
  const secretAccessKey = secretFor(accessKeyId);
  if (secretAccessKey === undefined) {
    return {
      ok: false,
      status: 403,
      accessKeyId,
      region,
      errorType: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  const signingDate = parseAmzDate(String(request.headers['x-amz-date'] ?? ''));
  const url = new URL(request.url ?? '/', 'http://stand-in');
  const headers: Record<string, string> = {};
  for (const name of signedHeaderList.split(';')) {
    const value = request.headers[name];
    headers[name] = Array.isArray(value) ? value.join(',') : (value ?? '');
  }
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const previous = query[key];
    query[key] =
      previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  const sessionToken = request.headers['x-amz-security-token'];
  const signer = new SignatureV4({
    credentials: {
      accessKeyId,
      secretAccessKey,
      ...(typeof sessionToken === 'string' ? { sessionToken } : {}),
    },
    region,
    service,
    sha256: Sha256,
  });
  const resigned = signingDate
    ? await signer.sign(
        new HttpRequest({
          method: request.method ?? 'GET',
          protocol: 'http:',
          hostname: String(request.headers.host ?? ''),
          path: url.pathname,
          query,
          headers,
          body: body.length > 0 ? body.toString('utf8') : undefined,
        }),
        { signingDate, signableHeaders: new Set(Object.keys(headers)) },
      )
    : undefined;
  const expected = /Signature=([0-9a-f]{64})/.exec(String(resigned?.headers.authorization ?? ''))?.[1];
  if (
    !expected ||
    service !== expectedService ||
    !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))
  ) {
    return {
      ok: false,
      status: 403,
      accessKeyId,
      region,
      errorType: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return { ok: true, accessKeyId, region, service };
}
