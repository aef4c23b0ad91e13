// Heartbeat: a runnerStatus event to every open connection; gone ones reported; failures isolated.
import { describe, expect, it } from 'vitest';
import { broadcast, heartbeat, runnerStatusEvent, type Sender } from '@hybrid-runner/core';
import { InMemoryConnectionStore } from '@hybrid-runner/local';
import { eventSchemaFor } from '@hybrid-runner/protocol';

const settings = { agentId: 'aws-prod', runnerVersion: '0.1.0' };

function recordingSender(gone: Set<string> = new Set(), failing: Set<string> = new Set()) {
  const sent: Array<{ connectionId: string; text: string }> = [];
  const sender: Sender = {
    async send(connectionId, message) {
      if (failing.has(connectionId)) throw new Error('throttled for good');
      if (gone.has(connectionId)) return 'gone';
      sent.push({ connectionId, text: message as string });
      return 'sent';
    },
  };
  return { sender, sent };
}

async function storeWith(count: number) {
  const store = new InMemoryConnectionStore({ pageSize: 7 });
  const ttl = Math.floor(Date.now() / 1000) + 3600;
  for (let i = 0; i < count; i++) {
    await store.put({
      connectionId: `c-${String(i).padStart(3, '0')}`,
      agentId: 'aws-prod',
      connectedAt: 0,
      ttl,
    });
  }
  return store;
}

describe('runnerStatusEvent', () => {
  it('is a valid runnerStatus event', () => {
    const event = runnerStatusEvent({
      settings,
      connections: 3,
      ecrCredentialsExpireAt: new Date('2026-01-01T12:00:00Z'),
    });
    expect(eventSchemaFor('runnerStatus').parse(event)).toEqual({
      v: 1,
      type: 'event',
      event: 'runnerStatus',
      payload: {
        agentId: 'aws-prod',
        status: 'active',
        version: '0.1.0',
        connections: 3,
        ecrCredentialsExpireAt: '2026-01-01T12:00:00.000Z',
      },
    });
  });
});

describe('heartbeat', () => {
  it('sends one runnerStatus to every connection across store pages', async () => {
    const store = await storeWith(20);
    const { sender, sent } = recordingSender();
    const outcome = await heartbeat({ settings, store, sender });
    expect(outcome).toMatchObject({ connections: 20, sent: 20, gone: [], failed: [] });
    expect(new Set(sent.map((s) => s.connectionId)).size).toBe(20);
    for (const { text } of sent) {
      expect(JSON.parse(text)).toMatchObject({ event: 'runnerStatus', payload: { connections: 20 } });
    }
  });

  it('reports gone connections and keeps going past a failing one', async () => {
    const store = await storeWith(5);
    const { sender, sent } = recordingSender(new Set(['c-001']), new Set(['c-002']));
    const outcome = await heartbeat({ settings, store, sender });
    expect(outcome.sent).toBe(3);
    expect(outcome.gone).toEqual(['c-001']);
    expect(outcome.failed.map((f) => f.connectionId)).toEqual(['c-002']);
    expect(sent.map((s) => s.connectionId).sort()).toEqual(['c-000', 'c-003', 'c-004']);
  });

  it('does nothing without connections and includes the registry expiry when known', async () => {
    const { sender, sent } = recordingSender();
    expect(await heartbeat({ settings, store: await storeWith(0), sender })).toMatchObject({
      connections: 0,
    });
    expect(sent).toHaveLength(0);
    await heartbeat({
      settings,
      store: await storeWith(1),
      sender,
      ecrCredentialsExpireAt: async () => new Date('2026-01-01T00:00:00Z'),
    });
    expect(JSON.parse(sent[0]!.text).payload.ecrCredentialsExpireAt).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('broadcast', () => {
  it('never runs more sends at once than its concurrency', async () => {
    let active = 0;
    let peak = 0;
    const sender: Sender = {
      async send() {
        active++;
        peak = Math.max(peak, active);
        await new Promise((resolve) => setTimeout(resolve, 2));
        active--;
        return 'sent';
      },
    };
    const connections = Array.from({ length: 30 }, (_, i) => ({
      connectionId: `b-${i}`,
      agentId: 'a',
      connectedAt: 0,
      ttl: 0,
    }));
    const outcome = await broadcast({ connections, message: '{}', sender, concurrency: 4 });
    expect(outcome.sent).toBe(30);
    expect(peak).toBe(4);
  });
});
