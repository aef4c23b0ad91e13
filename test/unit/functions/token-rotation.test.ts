// Bot token rotation. A token rotated in Secrets Manager is redacted from responses as soon as the runner
// reads it, not only the token of the container's first read (pod logs, for one, may print whatever token the
// pod got). With a rotation configured (bridge.previousAuthToken), $connect accepts the old and the new token
// until the old one's retireAt and only the new one after; both are redacted from responses and logs.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { connectAuthorizer, rotatingTokenSet } from '@hybrid-runner/aws';
import { createOperations, systemClock, randomIds, type Operations } from '@hybrid-runner/core';
import { handler as connect } from '../../../functions/bridge/connect.ts';
import { handler as message } from '../../../functions/bridge/message.ts';
import { tokenSetFromEnvironment } from '../../../functions/lib/bot-tokens.ts';
import { configureBridge } from '../../../functions/lib/bridge-context.ts';
import { logger } from '../../../functions/lib/logger.ts';
import { configureRunner } from '../../../functions/lib/runner-context.ts';
import { captureOutput } from '../observability/capture.ts';
import { AGENT_ID, lambdaContext, TOKEN, useFunctionHarness, webSocketEvent } from './harness.ts';

const ROTATED = `${TOKEN.slice(0, -12)}rotated-0001`;

const h = useFunctionHarness();

describe('bot token rotation', () => {
  it('redacts the new token from responses once the provider returns it', async () => {
    let current = TOKEN;
    const real = createOperations({
      cluster: h.cluster,
      secrets: { exists: async () => true },
      clock: systemClock,
      ids: randomIds,
      settings: h.settings,
      botToken: async () => current,
    });
    // An operation whose answer carries whatever token is current, as a pod log printing its config would.
    const operations: Operations = {
      ...real,
      getServiceStatus: async () => ({
        code: 200,
        status: 'healthy',
        platform: 'Argo',
        version: h.settings.runnerVersion,
        reason: `config printed by the pod: jwtToken=${current}`,
      }),
    };
    configureRunner({
      settings: h.settings,
      cluster: h.cluster,
      idempotency: h.idempotency,
      cursor: h.cursor,
      operations,
      botToken: async () => current,
    });

    const ask = async (id: string) => {
      await message(
        webSocketEvent('$default', {
          body: JSON.stringify({ v: 1, id, type: 'getServiceStatus', payload: {} }),
        }),
        lambdaContext(),
      );
      return h.sent.at(-1)!.text;
    };
    const before = await ask('status-1');
    expect(before).not.toContain(TOKEN);
    expect(before).toContain('jwtToken=[redacted]');

    current = ROTATED; // the provider's cache expired and Secrets Manager holds the new token
    const after = await ask('status-2');
    expect(after).not.toContain(ROTATED);
    expect(after).toContain('jwtToken=[redacted]');
  });
});

const OLD = `${TOKEN.slice(0, -12)}old-token-01`;
const NEW = `${TOKEN.slice(0, -12)}new-token-02`;
const RETIRE_AT = new Date('2026-12-10T09:00:00Z');

describe('bot token rotation with a grace period', () => {
  function rotation(now: { ms: number }) {
    const authorizer = connectAuthorizer({
      agentId: AGENT_ID,
      tokens: rotatingTokenSet({
        current: async () => NEW,
        previous: { token: async () => OLD, retireAt: RETIRE_AT },
      }),
      now: () => now.ms,
    });
    configureBridge({
      agentId: AGENT_ID,
      runnerVersion: h.settings.runnerVersion,
      connections: h.connections,
      authorizer,
      sender: { send: async () => 'sent' },
      metrics: h.metrics,
    });
  }
  const connectWith = (token: string, connectionId: string) =>
    connect(
      webSocketEvent('$connect', {
        connectionId,
        headers: { Authorization: `Bearer ${token}`, 'X-Agent-Id': AGENT_ID },
      }),
      lambdaContext(),
    );

  it('accepts the old and the new token until retireAt, and only the new one from then on', async () => {
    const now = { ms: RETIRE_AT.getTime() - 60_000 };
    rotation(now);
    try {
      expect(await connectWith(OLD, 'grace-old')).toEqual({ statusCode: 200 });
      expect(await connectWith(NEW, 'grace-new')).toEqual({ statusCode: 200 });

      now.ms = RETIRE_AT.getTime();
      const refused = await connectWith(OLD, 'retired-old');
      expect(refused).toMatchObject({ statusCode: 401 });
      expect(JSON.stringify(refused)).not.toContain(OLD);
      expect(await connectWith(NEW, 'after-new')).toEqual({ statusCode: 200 });
      expect(await h.connections.get('retired-old')).toBeUndefined();
      expect(await h.connections.get('after-new')).toBeDefined();
    } finally {
      h.install();
    }
  });

  it('logs which token a connection used, and why a retired one was refused, never a token', async () => {
    const now = { ms: RETIRE_AT.getTime() - 1 };
    rotation(now);
    logger.setLogLevel('INFO');
    const output = captureOutput();
    try {
      await connectWith(OLD, 'log-old');
      now.ms = RETIRE_AT.getTime() + 1;
      await connectWith(OLD, 'log-retired');
    } finally {
      output.restore();
      h.install();
    }
    const lines = output.json();
    expect(lines.find((line) => line.message === 'Connection opened')).toMatchObject({
      tokenUsed: 'previous',
    });
    expect(lines.find((line) => line.message === 'Connection refused')).toMatchObject({
      status: 401,
      reason: expect.stringContaining('retired at 2026-12-10T09:00:00.000Z'),
    });
    expect(output.text()).not.toContain(OLD);
    expect(output.text()).not.toContain(NEW);
  });

  it('accepts only the new token when the old secret cannot be read', async () => {
    const unreadable: unknown[] = [];
    const authorizer = connectAuthorizer({
      agentId: AGENT_ID,
      tokens: rotatingTokenSet({
        current: async () => NEW,
        previous: {
          token: async () => {
            throw new Error('ResourceNotFoundException');
          },
          retireAt: RETIRE_AT,
        },
        onPreviousUnreadable: (error) => unreadable.push(error),
      }),
      now: () => RETIRE_AT.getTime() - 60_000,
    });
    const headers = (token: string) => ({ authorization: `Bearer ${token}`, 'x-agent-id': AGENT_ID });
    expect(await authorizer.authorize(headers(OLD))).toMatchObject({ status: 401 });
    expect(await authorizer.authorize(headers(NEW))).toMatchObject({ status: 200, token: 'current' });
    expect(unreadable).toHaveLength(2);
  });

  it('redacts both tokens from responses, the retired one included', async () => {
    const operations: Operations = {
      ...createOperations({
        cluster: h.cluster,
        secrets: { exists: async () => true },
        clock: systemClock,
        ids: randomIds,
        settings: h.settings,
        botToken: async () => NEW,
      }),
      getServiceStatus: async () => ({
        code: 200,
        status: 'healthy',
        platform: 'Argo',
        version: h.settings.runnerVersion,
        reason: `old=${OLD} new=${NEW}`,
      }),
    };
    configureRunner({
      settings: h.settings,
      cluster: h.cluster,
      idempotency: h.idempotency,
      cursor: h.cursor,
      operations,
      botToken: async () => NEW,
      botTokens: rotatingTokenSet({
        current: async () => NEW,
        previous: { token: async () => OLD, retireAt: new Date(Date.now() - 1000) },
      }),
    });
    try {
      await message(
        webSocketEvent('$default', {
          body: JSON.stringify({ v: 1, id: 'status-rotation', type: 'getServiceStatus', payload: {} }),
        }),
        lambdaContext(),
      );
      const text = h.sent.at(-1)!.text;
      expect(text).toContain('old=[redacted] new=[redacted]');
    } finally {
      h.install();
    }
  });

  it('reads both secrets the stage names, registering both for log redaction', async () => {
    const secrets = mockClient(SecretsManagerClient);
    const currentArn = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:bot-new';
    const previousArn = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:bot-old';
    secrets.on(GetSecretValueCommand, { SecretId: currentArn }).resolves({ SecretString: NEW });
    secrets.on(GetSecretValueCommand, { SecretId: previousArn }).resolves({ SecretString: `${OLD}\n` });
    try {
      const tokens = tokenSetFromEnvironment(
        { authTokenSecret: currentArn, previousAuthToken: { secretArn: previousArn, retireAt: RETIRE_AT } },
        new SecretsManagerClient({ region: 'eu-west-1' }),
      );
      expect(await tokens()).toEqual({ current: NEW, previous: { token: OLD, retireAt: RETIRE_AT } });
      logger.setLogLevel('INFO');
      const output = captureOutput();
      try {
        logger.info('pod printed its config', { detail: `a=${OLD} b=${NEW}` });
      } finally {
        output.restore();
        logger.setLogLevel('SILENT');
      }
      expect(output.text()).toContain('pod printed its config');
      expect(output.text()).not.toContain(OLD);
      expect(output.text()).not.toContain(NEW);
    } finally {
      secrets.restore();
    }
  });
});
