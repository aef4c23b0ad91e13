// A stand-in for Amazon EKS's DescribeCluster, on its real wire protocol (REST JSON, `GET /clusters/{name}`,
// SigV4-signed), so the real @aws-sdk/client-eks works against it with an endpoint override. It knows the
// clusters it was given (typically the Kubernetes emulator's URL and CA) and can inject faults and latency.
// It is not EKS: no other operations, no IAM policies, no access entries.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySigV4 } from './sigv4.ts';

export interface EksStandInCluster {
  /** Kubernetes API endpoint, e.g. the emulator's `https://127.0.0.1:<port>`. */
  endpoint: string;
  /** PEM of the cluster CA; served base64-encoded as EKS does. */
  caCertPem: string;
  version?: string;
  status?: 'CREATING' | 'ACTIVE' | 'DELETING' | 'FAILED' | 'UPDATING' | 'PENDING';
}

export interface EksStandInOptions {
  clusters: Record<string, EksStandInCluster>;
  /** Access key id → secret. Requests signed with other keys are refused as EKS does. */
  accessKeys: Record<string, string>;
  account?: string;
  latencyMs?: number;
  port?: number;
}

export interface EksStandInRequest {
  operation: string;
  clusterName?: string;
  accessKeyId?: string;
  region?: string;
  error?: string;
}

export interface EksStandIn {
  /** Endpoint for the SDK client (`endpoint` option). */
  url: string;
  requests: EksStandInRequest[];
  setCluster(name: string, cluster: EksStandInCluster): void;
  /** Answers the next `count` requests with `errorType` (ServerException by default) and `status`. */
  failNext(count: number, errorType?: string, status?: number): void;
  close(): Promise<void>;
}

function sendJson(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomBytes(16).toString('hex'),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(text);
}

export async function startEksStandIn(options: EksStandInOptions): Promise<EksStandIn> {
  const clusters = new Map(Object.entries(options.clusters));
  const requests: EksStandInRequest[] = [];
  const failures: Array<{ errorType: string; status: number }> = [];
  const account = options.account ?? '123456789012';

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    const path = new URL(request.url ?? '/', 'http://stand-in').pathname;
    const match = /^\/clusters\/([^/]+)$/.exec(path);
    const record: EksStandInRequest = {
      operation: match && request.method === 'GET' ? 'DescribeCluster' : `${request.method} ${path}`,
    };
    requests.push(record);
    const fail = (status: number, errorType: string, message: string) => {
      record.error = errorType;
      sendJson(response, status, { message }, errorType);
    };
    const auth = await verifySigV4(request, Buffer.concat(chunks), 'eks', (id) => options.accessKeys[id]);
    if (!auth.ok) return fail(auth.status, auth.errorType, auth.message);
    record.accessKeyId = auth.accessKeyId;
    record.region = auth.region;
    const failure = failures.shift();
    if (failure)
      return fail(failure.status, failure.errorType, `${failure.errorType} injected by the EKS stand-in`);
    if (!match || request.method !== 'GET') {
      return fail(
        404,
        'NotFoundException',
        `The EKS stand-in serves DescribeCluster (GET /clusters/{name}) only, not ${record.operation}.`,
      );
    }
    const name = decodeURIComponent(match[1] ?? '');
    record.clusterName = name;
    const cluster = clusters.get(name);
    if (!cluster) return fail(404, 'ResourceNotFoundException', `No cluster found for name: ${name}.`);
    const status = cluster.status ?? 'ACTIVE';
    sendJson(response, 200, {
      cluster: {
        name,
        arn: `arn:aws:eks:${auth.region}:${account}:cluster/${name}`,
        createdAt: 1_767_225_600,
        version: cluster.version ?? '1.33',
        status,
        ...(status === 'CREATING' ? {} : { endpoint: cluster.endpoint }),
        certificateAuthority:
          status === 'CREATING' ? {} : { data: Buffer.from(cluster.caCertPem).toString('base64') },
        platformVersion: 'eks.1',
        accessConfig: { authenticationMode: 'API' },
      },
    });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { message: String(error) }, 'ServerException');
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setCluster(name, cluster) {
      clusters.set(name, cluster);
    },
    failNext(count, errorType = 'ServerException', status = 500) {
      for (let i = 0; i < count; i++) failures.push({ errorType, status });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
