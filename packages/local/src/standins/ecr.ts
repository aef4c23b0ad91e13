// A stand-in for Amazon ECR's GetAuthorizationToken, speaking the real wire protocol (AWS JSON 1.1 over
// HTTP, SigV4-signed), so the real @aws-sdk/client-ecr runs against it with an endpoint override. It
// verifies signatures against the access keys it knows (unknown key → UnrecognizedClientException,
// wrong secret → InvalidSignatureException, as ECR answers), issues 12-hour tokens for the region the
// request was signed for, and can inject throttling, 5xx and latency. It is not ECR: no registry,
// no IAM policies, no other operations.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySigV4 } from './sigv4.ts';

export const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
export const ECR_TOKEN_LIFETIME_MS = 12 * 3600_000;

export interface EcrStandInKey {
  secretAccessKey: string;
  /** Account whose registry the key belongs to (the proxy endpoint's account). */
  account?: string;
}

export interface EcrStandInOptions {
  /** Access key id → its secret. Requests signed with any other key are refused as ECR does. */
  accessKeys: Record<string, EcrStandInKey>;
  /** Default account for keys without one. */
  account?: string;
  tokenLifetimeMs?: number;
  /** Added before every answer (benchmarks, timeouts). */
  latencyMs?: number;
  now?: () => Date;
  port?: number;
}

export interface EcrStandInRequest {
  target: string;
  accessKeyId?: string;
  region?: string;
  /** The error answered, if any. */
  error?: string;
}

export interface EcrStandIn {
  /** Endpoint for the SDK client (`endpoint` option). */
  url: string;
  requests: EcrStandInRequest[];
  /** Passwords of every token issued, so tests can scan logs for them. */
  issuedPasswords: string[];
  /** Answers the next `count` requests with `errorName` (ThrottlingException by default) and `status`. */
  failNext(count: number, errorName?: string, status?: number): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomBytes(16).toString('hex'),
  });
  response.end(text);
}

function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  send(response, status, { __type: type, message });
}

export async function startEcrStandIn(options: EcrStandInOptions): Promise<EcrStandIn> {
  const now = options.now ?? (() => new Date());
  const lifetime = options.tokenLifetimeMs ?? ECR_TOKEN_LIFETIME_MS;
  let latencyMs = options.latencyMs ?? 0;
  const requests: EcrStandInRequest[] = [];
  const issuedPasswords: string[] = [];
  const failures: Array<{ errorName: string; status: number }> = [];

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST') {
      requests.push({ target, error: 'UnknownOperationException' });
      return sendError(response, 405, 'UnknownOperationException', 'ECR accepts POST only.');
    }
    const auth = await verifySigV4(request, body, 'ecr', (id) => options.accessKeys[id]?.secretAccessKey);
    const record: EcrStandInRequest = {
      target,
      ...(auth.accessKeyId ? { accessKeyId: auth.accessKeyId } : {}),
      ...(auth.region ? { region: auth.region } : {}),
    };
    requests.push(record);
    const fail = (status: number, type: string, message: string) => {
      record.error = type;
      sendError(response, status, type, message);
    };
    if (!auth.ok) {
      // ECR, a JSON 1.1 service, answers key and signature errors with 400, a missing signature with 403.
      const status = auth.errorType === 'MissingAuthenticationTokenException' ? 403 : 400;
      return fail(status, auth.errorType, auth.message);
    }
    const failure = failures.shift();
    if (failure)
      return fail(failure.status, failure.errorName, `${failure.errorName} injected by the ECR stand-in`);
    if (target !== `${ECR_TARGET_PREFIX}GetAuthorizationToken`) {
      return fail(
        400,
        'UnknownOperationException',
        `The ECR stand-in serves GetAuthorizationToken only, not ${target}.`,
      );
    }
    const account = options.accessKeys[auth.accessKeyId]?.account ?? options.account ?? '118146679784';
    const password = randomBytes(96).toString('base64url');
    issuedPasswords.push(password);
    send(response, 200, {
      authorizationData: [
        {
          authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
          expiresAt: (now().getTime() + lifetime) / 1000,
          proxyEndpoint: `https://${account}.dkr.ecr.${auth.region}.amazonaws.com`,
        },
      ],
    });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, 'ServerException', String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    issuedPasswords,
    failNext(count, errorName = 'ThrottlingException', status = 400) {
      for (let i = 0; i < count; i++) failures.push({ errorName, status });
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
