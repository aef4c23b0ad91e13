// The ports e2e tests hand to a child process (PORT=…) must be ones that no listen(0) can take meanwhile.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { explicitPortRange, freeExplicitPort, portIsFree } from '../../support/ports.ts';

const held: Server[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((server) => new Promise((done) => server.close(done))));
});

function hold(port: number): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      held.push(server);
      done((server.address() as { port: number }).port);
    });
  });
}

describe('test ports', () => {
  it('come from outside the range that listen(0) hands out', async () => {
    const range = explicitPortRange();
    const ephemeral = await Promise.all(Array.from({ length: 20 }, () => hold(0)));
    for (const port of ephemeral) expect(port < range.low || port > range.high).toBe(true);
    const picked = await freeExplicitPort();
    expect(picked).toBeGreaterThanOrEqual(range.low);
    expect(picked).toBeLessThanOrEqual(range.high);
  });

  it('skip a port something listens on', async () => {
    const { low, high } = explicitPortRange();
    const size = high - low + 1;
    let taken = low;
    while (!(await portIsFree(taken)) || !(await portIsFree(taken + 1))) taken += 2;
    await hold(taken);
    expect(await portIsFree(taken)).toBe(false);
    // The first draw lands on the held port, the second on the one after it.
    const draws = [(taken - low + 0.5) / size, (taken + 1 - low + 0.5) / size];
    let drawn = 0;
    const picked = await freeExplicitPort(() => draws[drawn++] ?? 0);
    expect(drawn).toBe(2);
    expect(picked).toBe(taken + 1);
  });
});
