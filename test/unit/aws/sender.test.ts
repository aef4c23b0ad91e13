// ManagementApiSender through aws-sdk-client-mock: gone connections, retries, the size guard.
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ApiGatewayManagementApiClient,
  ForbiddenException,
  GoneException,
  LimitExceededException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import {
  ManagementApiSender,
  backoffDelay,
  isRetryableSendFault,
  managementEndpoint,
} from '@hybrid-runner/aws';
import { MAX_MESSAGE_BYTES } from '@hybrid-runner/protocol';

const api = mockClient(ApiGatewayManagementApiClient);
const client = new ApiGatewayManagementApiClient({
  endpoint: 'https://example.test/prod',
  region: 'eu-west-1',
});
const noSleep = async () => {};
const metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode }, message: 'fault' });

beforeEach(() => api.reset());

describe('managementEndpoint', () => {
  it('is https://{domainName}/{stage}', () => {
    expect(managementEndpoint({ domainName: 'abc.execute-api.eu-west-1.amazonaws.com', stage: 'prod' })).toBe(
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
    );
  });
  it('says what to configure when the event lacks them', () => {
    expect(() => managementEndpoint({})).toThrow(/BRIDGE_MANAGEMENT_ENDPOINT/);
  });
});

describe('ManagementApiSender', () => {
  it('posts the message text as the connection data', async () => {
    api.on(PostToConnectionCommand).resolves({});
    const sender = new ManagementApiSender({ client, sleep: noSleep });
    expect(await sender.send('conn-1', { hello: 'world' })).toBe('sent');
    const call = api.commandCalls(PostToConnectionCommand)[0];
    expect(call?.args[0].input.ConnectionId).toBe('conn-1');
    expect(Buffer.from(call?.args[0].input.Data as Uint8Array).toString()).toBe('{"hello":"world"}');
  });

  it('on GoneException forgets THAT connection (not the sender) and reports gone', async () => {
    api.on(PostToConnectionCommand).rejects(new GoneException(metadata(410)));
    const forgotten: string[] = [];
    const sender = new ManagementApiSender({
      client,
      sleep: noSleep,
      onGone: async (id) => void forgotten.push(id),
    });
    expect(await sender.send('recipient-7', 'x')).toBe('gone');
    expect(forgotten).toEqual(['recipient-7']);
    expect(api.commandCalls(PostToConnectionCommand)).toHaveLength(1);
  });

  it('retries throttling and 5xx with backoff, then succeeds', async () => {
    api
      .on(PostToConnectionCommand)
      .rejectsOnce(new LimitExceededException(metadata(429)))
      .rejectsOnce(Object.assign(new Error('boom'), { name: 'InternalServerError', ...metadata(500) }))
      .resolves({});
    const delays: number[] = [];
    const sender = new ManagementApiSender({ client, sleep: async (ms) => void delays.push(ms) });
    expect(await sender.send('conn-1', 'x')).toBe('sent');
    expect(api.commandCalls(PostToConnectionCommand)).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });

  it('gives up after the configured attempts and throws the last fault', async () => {
    api.on(PostToConnectionCommand).rejects(new LimitExceededException(metadata(429)));
    const sender = new ManagementApiSender({
      client,
      sleep: noSleep,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    });
    await expect(sender.send('conn-1', 'x')).rejects.toBeInstanceOf(LimitExceededException);
    expect(api.commandCalls(PostToConnectionCommand)).toHaveLength(3);
  });

  it('does not retry a fault that retrying cannot fix (403)', async () => {
    api.on(PostToConnectionCommand).rejects(new ForbiddenException(metadata(403)));
    const sender = new ManagementApiSender({ client, sleep: noSleep });
    await expect(sender.send('conn-1', 'x')).rejects.toBeInstanceOf(ForbiddenException);
    expect(api.commandCalls(PostToConnectionCommand)).toHaveLength(1);
  });

  it('refuses a message above 128 KiB before calling API Gateway', async () => {
    const sender = new ManagementApiSender({ client, sleep: noSleep });
    await expect(sender.send('conn-1', 'x'.repeat(MAX_MESSAGE_BYTES + 1))).rejects.toThrow(
      /serializeBounded/,
    );
    expect(api.commandCalls(PostToConnectionCommand)).toHaveLength(0);
  });
});

describe('retry helpers', () => {
  it('classifies faults', () => {
    expect(isRetryableSendFault(new LimitExceededException(metadata(429)))).toBe(true);
    expect(isRetryableSendFault({ $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isRetryableSendFault(new ForbiddenException(metadata(403)))).toBe(false);
    expect(isRetryableSendFault(undefined)).toBe(false);
  });
  it('backs off exponentially up to the ceiling', () => {
    const policy = { attempts: 5, baseDelayMs: 10, maxDelayMs: 50 };
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, policy, () => 1))).toEqual([10, 20, 40, 50]);
  });
});
