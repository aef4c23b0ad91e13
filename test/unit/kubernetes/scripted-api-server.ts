// A tiny HTTPS server for unit tests of the Kubernetes adapter: each test scripts the answers and reads
// back what the client sent. Not an API server: the contract tests use the Kubernetes emulator for that.
import { createServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

export interface RecordedRequest {
  method: string;
  path: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

export type ScriptedHandler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

export interface ScriptedApiServer {
  url: string;
  /** Base64 PEM of the server certificate, as kubeconfig `certificate-authority-data`. */
  caData: string;
  requests: RecordedRequest[];
  handle(handler: ScriptedHandler): void;
  close(): Promise<void>;
}

let certificate: Promise<{ cert: string; key: string }> | undefined;

function testCertificate() {
  certificate ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  }).then((pems) => ({ cert: pems.cert, key: pems.private }));
  return certificate;
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

export function sendStatus(
  response: ServerResponse,
  code: number,
  reason: string,
  message: string,
  headers: Record<string, string> = {},
) {
  sendJson(
    response,
    code,
    { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code },
    headers,
  );
}

export async function startScriptedApiServer(): Promise<ScriptedApiServer> {
  const { cert, key } = await testCertificate();
  const requests: RecordedRequest[] = [];
  let handler: ScriptedHandler = (_request, response) =>
    sendStatus(response, 500, 'InternalError', 'no handler scripted');
  const server: Server = createServer({ cert, key }, (incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', 'https://localhost');
      const recorded: RecordedRequest = {
        method: incoming.method ?? 'GET',
        path: url.pathname,
        url,
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      Promise.resolve(handler(recorded, response)).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caData: Buffer.from(cert).toString('base64'),
    requests,
    handle(next) {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
