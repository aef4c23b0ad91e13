// $connect and $disconnect handlers: the status codes of the contract and the connection record.
import { describe, expect, it } from 'vitest';
import { CONNECTION_TTL_SECONDS } from '@hybrid-runner/aws';
import { handler as connect } from '../../../functions/bridge/connect.ts';
import { handler as disconnect } from '../../../functions/bridge/disconnect.ts';
import { configureBridge } from '../../../functions/lib/bridge-context.ts';
import { AGENT_ID, TOKEN, lambdaContext, useFunctionHarness, webSocketEvent } from './harness.ts';

const h = useFunctionHarness();

const connectWith = (headers: Record<string, string>, connectionId = 'c-1') =>
  connect(webSocketEvent('$connect', { connectionId, headers }), lambdaContext());

describe('$connect', () => {
  it('admits the right token and agent id and stores the connection with a TTL just over 2 hours', async () => {
    const event = webSocketEvent('$connect', {
      connectionId: 'c-ok',
      headers: { Authorization: `Bearer ${TOKEN}`, 'X-Agent-Id': AGENT_ID },
    });
    expect(await connect(event, lambdaContext())).toEqual({ statusCode: 200 });
    const record = await h.connections.get('c-ok');
    expect(record).toMatchObject({ connectionId: 'c-ok', agentId: AGENT_ID, sourceIp: '203.0.113.7' });
    expect(record!.ttl - Math.floor(event.requestContext.requestTimeEpoch / 1000)).toBe(
      CONNECTION_TTL_SECONDS,
    );
  });

  it('401 without a token, with a wrong one, or with a non-Bearer scheme; nothing stored', async () => {
    const refused: Array<Record<string, string>> = [
      { 'X-Agent-Id': AGENT_ID },
      { Authorization: 'Bearer nope', 'X-Agent-Id': AGENT_ID },
      { Authorization: `Basic ${TOKEN}`, 'X-Agent-Id': AGENT_ID },
    ];
    for (const headers of refused) {
      const result = await connectWith(headers);
      expect(result).toMatchObject({ statusCode: 401 });
      expect(JSON.stringify(result)).not.toContain(TOKEN);
    }
    expect(h.connections.records.size).toBe(0);
  });

  it('403 for the right token and another agent id', async () => {
    expect(
      await connectWith({ authorization: `Bearer ${TOKEN}`, 'x-agent-id': 'someone-else' }),
    ).toMatchObject({
      statusCode: 403,
    });
    expect(h.connections.records.size).toBe(0);
  });

  it('answers 500 (a refused handshake) when the token cannot be read, without leaking why', async () => {
    const { connectAuthorizer } = await import('@hybrid-runner/aws');
    configureBridge({
      agentId: AGENT_ID,
      runnerVersion: '0',
      connections: h.connections,
      authorizer: connectAuthorizer({
        agentId: AGENT_ID,
        token: async () => {
          throw new Error('AccessDeniedException: not allowed to read the secret');
        },
      }),
      sender: { send: async () => 'sent' },
    });
    try {
      expect(await connectWith({ Authorization: `Bearer ${TOKEN}`, 'X-Agent-Id': AGENT_ID })).toEqual({
        statusCode: 500,
      });
    } finally {
      h.install();
    }
  });
});

describe('$disconnect', () => {
  it('removes the connection record', async () => {
    await connectWith({ Authorization: `Bearer ${TOKEN}`, 'X-Agent-Id': AGENT_ID }, 'c-bye');
    expect(await h.connections.get('c-bye')).toBeDefined();
    expect(
      await disconnect(webSocketEvent('$disconnect', { connectionId: 'c-bye' }), lambdaContext()),
    ).toEqual({
      statusCode: 200,
    });
    expect(await h.connections.get('c-bye')).toBeUndefined();
  });
});
