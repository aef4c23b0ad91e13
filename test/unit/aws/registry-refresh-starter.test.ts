// The refresh starter's Invoke request as it leaves the AWS SDK (a local HTTP listener stands in for
// Lambda), checked against AWS's Lambda model (botocore lambda 2015-03-31): the operation's method and URI,
// the invocation-type header and its enum; and what a refused or unexpected answer becomes.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { LambdaRegistryRefreshStarter } from '@hybrid-runner/aws';
import { loadServiceModel, type ServiceModel } from '../../support/aws-models/service-models.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let model: ServiceModel;
let answer: { status: number; body: string; headers?: Record<string, string> } = { status: 202, body: '' };
const seen: Seen[] = [];

beforeAll(async () => {
  model = loadServiceModel('lambda');
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(answer.body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

function starter() {
  const { port } = server.address() as AddressInfo;
  const client = new LambdaClient({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    maxAttempts: 1,
  });
  return new LambdaRegistryRefreshStarter({ functionName: 'hybrid-runner-prod-registry-refresh', client });
}

describe('LambdaRegistryRefreshStarter against the botocore Lambda model (a local HTTP listener as Lambda)', () => {
  it('queues an asynchronous Invoke of the refresh function with the new namespaces', async () => {
    answer = { status: 202, body: '' };
    seen.length = 0;
    await starter().start({ newNamespaces: ['team-b'] });
    const [request] = seen;
    const operation = model.operations.Invoke!;
    const invocationType = model.shapes.InvocationRequest!.members!.InvocationType!;
    expect(request?.method).toBe(operation.http.method);
    expect(request?.url).toBe(
      operation.http.requestUri.replace('{FunctionName}', 'hybrid-runner-prod-registry-refresh'),
    );
    const header = request?.headers[invocationType.locationName!.toLowerCase()];
    expect(header).toBe('Event');
    expect(model.shapes[invocationType.shape]!.enum).toContain(header);
    expect(JSON.parse(request?.body ?? '')).toEqual({ trigger: 'new-namespaces', newNamespaces: ['team-b'] });
  });

  it('throws what Lambda refused, and an answer that queued nothing', async () => {
    answer = {
      status: 403,
      body: JSON.stringify({ Type: 'User', message: 'not authorized to perform: lambda:InvokeFunction' }),
      headers: { 'x-amzn-errortype': 'AccessDeniedException' },
    };
    await expect(starter().start({ newNamespaces: ['team-b'] })).rejects.toThrow(/lambda:InvokeFunction/);
    answer = { status: 200, body: '{}' };
    await expect(starter().start({ newNamespaces: ['team-b'] })).rejects.toThrow(
      'Lambda did not queue the registry refresh hybrid-runner-prod-registry-refresh (status 200).',
    );
  });
});
