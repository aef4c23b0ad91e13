// A bot token rotated in Secrets Manager is redacted from responses as soon as the runner reads it, not
// only the token of the container's first read (pod logs, for one, may print whatever token the pod got).
import { describe, expect, it } from 'vitest';
import { createOperations, systemClock, randomIds, type Operations } from '@hybrid-runner/core';
import { handler as message } from '../../../functions/bridge/message.ts';
import { configureRunner } from '../../../functions/lib/runner-context.ts';
import { lambdaContext, TOKEN, useFunctionHarness, webSocketEvent } from './harness.ts';

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
