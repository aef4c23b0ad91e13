// In-process wiring of the bridge functions for unit tests: in-memory stores, a recording sender, core's
// real operations over the in-memory FakeCluster. No network at all.
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { ApiGatewayWebSocketEvent } from '@hybrid-runner/aws';
import { connectAuthorizer } from '@hybrid-runner/aws';
import {
  defaultRunnerSettings,
  type Operations,
  type RunnerSettings,
  type Sender,
} from '@hybrid-runner/core';
import { InMemoryConnectionStore, InMemoryCursorStore, InMemoryIdempotencyStore } from '@hybrid-runner/local';
import { createMetrics, samplesOf, type EmfDocument, type RunnerMetrics } from '@hybrid-runner/observability';
import { configureBridge } from '../../../functions/lib/bridge-context.ts';
import { logger } from '../../../functions/lib/logger.ts';
import { configureRunner } from '../../../functions/lib/runner-context.ts';
import { FakeCluster } from '../../support/fake-cluster.ts';

/** A realistic ingestion bot JWT: longer than a request id may be, so it can never be echoed as one. */
export const TOKEN =
  'eyJraWQiOiJHYjM4OWEtOWY3Ni1nZGpzLWE5MmotMDI0MmJrOTQzNTYiLCJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.' +
  'eyJzdWIiOiJpbmdlc3Rpb24tYm90IiwiaXNCb3QiOnRydWUsImlzcyI6Im9wZW4tbWV0YWRhdGEub3JnIn0.' +
  'c2lnbmF0dXJlLW9mLXRoZS1pbmdlc3Rpb24tYm90LXRva2VuLXRoYXQtbXVzdC1uZXZlci1sZWFr';
export const AGENT_ID = 'unit-agent';

export interface SentFrame {
  connectionId: string;
  text: string;
}

export interface FunctionHarness {
  connections: InMemoryConnectionStore;
  idempotency: InMemoryIdempotencyStore;
  cursor: InMemoryCursorStore;
  cluster: FakeCluster;
  settings: RunnerSettings;
  sent: SentFrame[];
  /** Connection ids the sender treats as gone (410). */
  gone: Set<string>;
  /** The metrics both contexts record to (stage `unit`); flushed by the handlers' middleware. */
  metrics: RunnerMetrics;
  /** Every metric value published since the last reset: name, extra dimensions, value. */
  published(): Array<{ name: string; dimensions: Record<string, string>; value: number }>;
  reset(): void;
  /** Configures the bridge and runner contexts with this harness again (after a test replaced them). */
  install(): void;
}

/** A harness for the whole test file: installed before its tests, each test starting without frames, claims or connections. */
export function useFunctionHarness(options: { operations?: Operations } = {}): FunctionHarness {
  const harness = createHarness(options);
  beforeAll(() => harness.install());
  afterAll(uninstallHarness);
  beforeEach(() => {
    harness.reset();
    harness.connections.records.clear();
    harness.gone.clear();
  });
  return harness;
}

function createHarness(options: { operations?: Operations }): FunctionHarness {
  const connections = new InMemoryConnectionStore();
  const idempotency = new InMemoryIdempotencyStore();
  const cursor = new InMemoryCursorStore();
  const cluster = new FakeCluster();
  const settings = defaultRunnerSettings({ agentId: AGENT_ID });
  const sent: SentFrame[] = [];
  const gone = new Set<string>();
  const documents: EmfDocument[] = [];
  const metrics = createMetrics({
    stage: 'unit',
    agentId: AGENT_ID,
    sink: (document) => documents.push(document),
  });
  const sender: Sender = {
    async send(connectionId, message) {
      if (gone.has(connectionId)) {
        await connections.remove(connectionId);
        return 'gone';
      }
      sent.push({ connectionId, text: typeof message === 'string' ? message : JSON.stringify(message) });
      return 'sent';
    },
  };
  return {
    connections,
    idempotency,
    cursor,
    cluster,
    settings,
    sent,
    gone,
    metrics,
    published: () => {
      metrics.flush();
      return documents.flatMap(samplesOf).flatMap((sample) => {
        const { stage: _stage, agentId: _agentId, ...dimensions } = sample.dimensions;
        return sample.values.map((value) => ({ name: sample.name, dimensions, value }));
      });
    },
    reset() {
      sent.length = 0;
      metrics.flush();
      documents.length = 0;
      idempotency.claims.clear();
    },
    install() {
      logger.setLogLevel('SILENT');
      configureBridge({
        agentId: AGENT_ID,
        runnerVersion: settings.runnerVersion,
        connections,
        authorizer: connectAuthorizer({ token: async () => TOKEN, agentId: AGENT_ID }),
        sender,
        metrics,
      });
      configureRunner({
        settings,
        cluster,
        idempotency,
        cursor,
        secrets: { exists: async () => true },
        botToken: async () => TOKEN,
        metrics,
        ...(options.operations ? { operations: options.operations } : {}),
      });
    },
  };
}

function uninstallHarness(): void {
  configureBridge(undefined);
  configureRunner(undefined);
}

let sequence = 0;

export function webSocketEvent(
  route: '$connect' | '$disconnect' | '$default',
  fields: Partial<ApiGatewayWebSocketEvent> & { connectionId?: string } = {},
): ApiGatewayWebSocketEvent {
  const { connectionId = 'conn-1', ...rest } = fields;
  const eventType = route === '$connect' ? 'CONNECT' : route === '$disconnect' ? 'DISCONNECT' : 'MESSAGE';
  return {
    requestContext: {
      routeKey: route,
      eventType,
      connectionId,
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      stage: 'prod',
      apiId: 'abc123',
      requestId: `req-${++sequence}`,
      requestTimeEpoch: Date.now(),
      identity: { sourceIp: '203.0.113.7' },
    },
    isBase64Encoded: false,
    ...rest,
  };
}

export function lambdaContext(remainingMs = 29_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'unit',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:unit',
    memoryLimitInMB: '512',
    awsRequestId: `aws-${++sequence}`,
    logGroupName: '/aws/lambda/unit',
    logStreamName: 'unit',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
