// $connect and $disconnect handlers: the status codes of the contract and the connection record.
import { describe, expect, it } from 'vitest';
import { CONNECTION_TTL_SECONDS, connectAuthorizer } from '@hybrid-runner/aws';
import { handler as connect } from '../../../functions/bridge/connect.ts';
import { handler as disconnect } from '../../../functions/bridge/disconnect.ts';
import { configureBridge } from '../../../functions/lib/bridge-context.ts';
import { logger } from '../../../functions/lib/logger.ts';
import { captureOutput } from '../observability/capture.ts';
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

describe('$connect with bridge.allowedSourceCidrs', () => {
  const GOOD = { Authorization: `Bearer ${TOKEN}`, 'X-Agent-Id': AGENT_ID };
  let tokenReads = 0;
  function allow(cidrs: string[]) {
    configureBridge({
      agentId: AGENT_ID,
      runnerVersion: '0',
      connections: h.connections,
      authorizer: connectAuthorizer({
        agentId: AGENT_ID,
        token: async () => {
          tokenReads += 1;
          return TOKEN;
        },
      }),
      allowedSourceCidrs: cidrs,
      sender: { send: async () => 'sent' },
      metrics: h.metrics,
    });
  }
  const from = (sourceIp: string, connectionId: string, headers: Record<string, string> = GOOD) => {
    const event = webSocketEvent('$connect', { connectionId, headers });
    event.requestContext.identity.sourceIp = sourceIp;
    return connect(event, lambdaContext());
  };

  it('admits IPv4, IPv6 and IPv4-mapped sources inside the ranges', async () => {
    allow(['203.0.113.0/24', '2001:db8:aa::/48']);
    try {
      expect(await from('203.0.113.7', 'in-v4')).toEqual({ statusCode: 200 });
      expect(await from('2001:db8:aa:1::5', 'in-v6')).toEqual({ statusCode: 200 });
      expect(await from('::ffff:203.0.113.9', 'in-mapped')).toEqual({ statusCode: 200 });
    } finally {
      h.install();
    }
  });

  it('refuses a source outside them with 403 before reading any token, and stores nothing', async () => {
    allow(['203.0.113.0/24', '2001:db8:aa::/48']);
    tokenReads = 0;
    try {
      for (const [ip, id] of [
        ['198.51.100.7', 'out-v4'],
        ['2001:db8:bb::1', 'out-v6'],
        ['::ffff:198.51.100.7', 'out-mapped'],
      ] as const) {
        expect(await from(ip, id)).toEqual({ statusCode: 403, body: 'Forbidden' });
        expect(await h.connections.get(id)).toBeUndefined();
      }
      expect(tokenReads).toBe(0);
      expect(h.published().filter((sample) => sample.name === 'SourcesRefused')).toHaveLength(3);
    } finally {
      h.install();
    }
  });

  it("judges API Gateway's sourceIp, never a client-written X-Forwarded-For", async () => {
    allow(['203.0.113.0/24']);
    try {
      const spoofed = { ...GOOD, 'X-Forwarded-For': '203.0.113.7' };
      expect(await from('198.51.100.7', 'spoof', spoofed)).toMatchObject({ statusCode: 403 });
    } finally {
      h.install();
    }
  });

  it('writes one warning line with the source and no secret', async () => {
    allow(['203.0.113.0/24']);
    logger.setLogLevel('INFO');
    const output = captureOutput();
    try {
      await from('198.51.100.7', 'logged');
    } finally {
      output.restore();
      h.install();
    }
    const lines = output.json().filter((line) => line.level !== 'DEBUG');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'WARN',
      message: 'Connection refused: source outside bridge.allowedSourceCidrs',
      status: 403,
      sourceIp: '198.51.100.7',
    });
    expect(output.text()).not.toContain(TOKEN);
    expect(output.text()).not.toMatch(/Bearer/i);
  });

  it('admits any source when the list is empty (the default)', async () => {
    allow([]);
    try {
      expect(await from('198.51.100.7', 'anyone')).toEqual({ statusCode: 200 });
    } finally {
      h.install();
    }
  });
});
