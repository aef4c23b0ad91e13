// The keeper's lifecycle over in-memory sockets and lease (real timers, short timing).
import { describe, expect, it } from 'vitest';
import {
  DialRefusedError,
  MemoryKeeperLeaseStore,
  backoffDelayMs,
  runKeeper,
  type KeeperDependencies,
  type KeeperEvent,
} from '@hybrid-runner/core';
import { FakeKeeperSocket } from './fake-socket.ts';

const timing = {
  drainReserveMs: 100,
  leasePollMs: 10,
  renewMs: 20,
  heartbeatMs: 40,
  quietMs: 30,
  backoff: { initialMs: 5, maxMs: 40 },
};
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function keeper(
  name: string,
  lease: MemoryKeeperLeaseStore,
  options: {
    lifetimeMs?: number;
    dial?: () => Promise<FakeKeeperSocket>;
    answerMs?: number;
    beats?: string[];
  } = {},
) {
  const deadline = Date.now() + (options.lifetimeMs ?? 5_000);
  const sockets: FakeKeeperSocket[] = [];
  const events: KeeperEvent[] = [];
  const deps: KeeperDependencies = {
    keeperId: name,
    lease,
    dial:
      options.dial ??
      (async () => {
        const socket = new FakeKeeperSocket(`${name}-${sockets.length}`);
        sockets.push(socket);
        return socket;
      }),
    answer: async (frame) => {
      await sleep(options.answerMs ?? 0);
      return `answer:${String(frame)}`;
    },
    ...(options.beats
      ? {
          beat: async (send) => {
            options.beats?.push(name);
            await send(`beat:${name}`);
          },
        }
      : {}),
    nowMs: () => Date.now(),
    remainingMs: () => deadline - Date.now(),
    sleep,
    random: () => 0.5,
    timing,
    onEvent: (event) => events.push(event),
  };
  return { run: () => runKeeper(deps), sockets, events };
}

describe('outbound keeper (in-memory sockets and lease)', () => {
  it('stops at a 401 or 403 handshake without retrying', async () => {
    for (const status of [401, 403] as const) {
      let dials = 0;
      const { run, events } = keeper('a', new MemoryKeeperLeaseStore(), {
        dial: async () => {
          dials++;
          throw new DialRefusedError(status);
        },
      });
      expect(await run()).toEqual({ outcome: 'refused', status });
      expect(dials).toBe(1);
      expect(events).toContainEqual({ type: 'refused', status });
    }
  });

  it('retries an unreachable Collate with growing, jittered delays until it answers', async () => {
    let dials = 0;
    const lease = new MemoryKeeperLeaseStore();
    const socket = new FakeKeeperSocket('late');
    const { run, events } = keeper('a', lease, {
      lifetimeMs: 400,
      dial: async () => {
        dials++;
        if (dials <= 3) throw new Error('ECONNREFUSED');
        return socket;
      },
    });
    const outcome = await run();
    expect(dials).toBe(4);
    const delays = events.flatMap((event) => (event.type === 'dial-failed' ? [event.retryInMs] : []));
    expect(delays).toEqual([4, 8, 15]);
    expect(outcome).toMatchObject({ outcome: 'left-without-successor' });
    expect(socket.closeCode).toBe(1000);
  });

  it('backs off within [ceiling/2, ceiling], capped at maxMs', () => {
    const backoff = { initialMs: 1000, maxMs: 30_000 };
    expect(backoffDelayMs(0, backoff, 0)).toBe(500);
    expect(backoffDelayMs(0, backoff, 1)).toBe(1000);
    expect(backoffDelayMs(10, backoff, 0)).toBe(15_000);
    expect(backoffDelayMs(10, backoff, 1)).toBe(30_000);
  });

  it('hands over: the old keeper answers in-flight and late requests on its own socket, then closes 1000', async () => {
    const lease = new MemoryKeeperLeaseStore();
    const beats: string[] = [];
    const a = keeper('a', lease, { answerMs: 60, beats });
    const runningA = a.run();
    await expect.poll(() => a.sockets.length).toBe(1);
    const [oldSocket] = a.sockets;
    oldSocket!.deliver('r1');
    const b = keeper('b', lease, { beats, lifetimeMs: 900 });
    const runningB = b.run();
    await expect.poll(() => b.sockets.length).toBe(1);
    // A request that raced the switch still arrives on the old socket, before it closes.
    oldSocket!.deliver('r2');
    b.sockets[0]!.deliver('r3');
    const outcomeA = await runningA;
    expect(outcomeA).toMatchObject({ outcome: 'handed-over', generation: 1, answered: 2 });
    expect(oldSocket!.sent.filter((text) => text.startsWith('answer:'))).toEqual(['answer:r1', 'answer:r2']);
    expect(oldSocket!.closeCode).toBe(1000);
    // The newest keeper serves on; the old one stopped its events once it began draining.
    await expect.poll(() => b.sockets[0]!.sent).toContain('answer:r3');
    const beatsOfA = beats.filter((name) => name === 'a').length;
    await sleep(100);
    expect(beats.filter((name) => name === 'a').length).toBe(beatsOfA);
    expect(beats.filter((name) => name === 'b').length).toBeGreaterThan(1);
    // Without a successor of its own, b leaves at its deadline (and says so).
    expect(await runningB).toMatchObject({ outcome: 'left-without-successor', generation: 2, answered: 1 });
  }, 15_000);

  it('reconnects when the connection drops and keeps the lease', async () => {
    const lease = new MemoryKeeperLeaseStore();
    const a = keeper('a', lease, { lifetimeMs: 400 });
    const running = a.run();
    await expect.poll(() => a.sockets.length).toBe(1);
    a.sockets[0]!.drop();
    await expect.poll(() => a.sockets.length).toBe(2);
    a.sockets[1]!.deliver('after-reconnect');
    expect(await running).toMatchObject({ outcome: 'left-without-successor', generation: 1, answered: 1 });
    expect(a.events).toContainEqual({ type: 'disconnected', code: 1006 });
    expect((await lease.read())?.generation).toBe(1);
  });

  it('a keeper that loses the claim to a concurrent tick never dials', async () => {
    const lease = new MemoryKeeperLeaseStore();
    let dials = 0;
    const dial = async () => {
      dials++;
      return new FakeKeeperSocket(`s${dials}`);
    };
    const [x, y] = [
      keeper('x', lease, { dial, lifetimeMs: 200 }),
      keeper('y', lease, { dial, lifetimeMs: 200 }),
    ];
    const outcomes = await Promise.all([x.run(), y.run()]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['claim-lost', 'left-without-successor']);
    expect(dials).toBe(1);
  });
});
