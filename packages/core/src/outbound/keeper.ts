// The outbound keeper: one invocation's hold on the bridge when the runner dials out to Collate. It claims the
// lease, dials (backoff with equal jitter while Collate is unreachable; 401/403 end it), serves every frame that
// arrives through the shared request path, sends the heartbeat while it is the newest keeper, and hands over:
// only when a successor has connected (or its own time runs out) does it stop its events, answer what is in
// flight or still arrives, and close with 1000. Transport, lease storage and the request path are ports.
import { HANDOVER_CLOSE_CODE } from '@hybrid-runner/protocol';
import type { KeeperLease, KeeperLeaseStore } from './lease.ts';

/** The Collate side refused the handshake: a wrong bot token (401) or another agent id (403). Never retried. */
export class DialRefusedError extends Error {
  readonly status: 401 | 403;
  constructor(status: 401 | 403) {
    super(
      status === 401
        ? 'Collate refused the bot token (401): store the current ingestion bot JWT and start the keeper again.'
        : 'Collate refused this agent id (403): set agentId to the runner name Collate knows and redeploy.',
    );
    this.name = 'DialRefusedError';
    this.status = status;
  }
}

/** One open outbound WebSocket. */
export interface KeeperSocket {
  send(text: string): Promise<void>;
  /** Starts the closing handshake; `closed` settles when it is done. */
  close(code: number, reason: string): void;
  /** Settles when the socket is closed, by either side. */
  readonly closed: Promise<{ code: number }>;
  onFrame(listener: (frame: string | Buffer) => void): void;
}

export interface KeeperTiming {
  /** Stop serving this long before the invocation's timeout: the time to drain and close. */
  drainReserveMs: number;
  /** How often the lease is read (a successor's arrival is seen within this). */
  leasePollMs: number;
  /** How often the lease is renewed while serving. */
  renewMs: number;
  /** runnerStatus period (the protocol asks for at least one event every 5 minutes). */
  heartbeatMs: number;
  /** While draining: close only after this long without a new frame, for requests racing the switch. */
  quietMs: number;
  /** Reconnect backoff (exponential with equal jitter). */
  backoff: { initialMs: number; maxMs: number };
}

export const DEFAULT_KEEPER_TIMING: KeeperTiming = {
  drainReserveMs: 60_000,
  leasePollMs: 250,
  renewMs: 10_000,
  heartbeatMs: 60_000,
  quietMs: 1_000,
  backoff: { initialMs: 1_000, maxMs: 30_000 },
};

export type KeeperEvent =
  | { type: 'claimed'; generation: number }
  | { type: 'claim-lost'; generation: number }
  | { type: 'dial-failed'; attempt: number; retryInMs: number; error: unknown }
  | { type: 'refused'; status: 401 | 403 }
  | { type: 'connected'; generation: number; attempt: number }
  | { type: 'disconnected'; code: number }
  | { type: 'draining'; reason: DrainReason; inFlight: number }
  | { type: 'send-failed'; error: unknown }
  | { type: 'beat-failed'; error: unknown }
  | { type: 'closed'; answered: number; answeredWhileDraining: number };

export type DrainReason = 'successor connected' | 'out of time' | 'superseded';

export type KeeperOutcome =
  | { outcome: 'claim-lost' }
  | { outcome: 'refused'; status: 401 | 403 }
  | { outcome: 'never-connected' }
  | {
      outcome: 'handed-over' | 'left-without-successor' | 'superseded';
      generation: number;
      answered: number;
      /** Requests still running when draining began (they finished on this socket). */
      inFlightAtDrain: number;
      /** Frames that arrived after draining began (a request racing the switch), answered here too. */
      answeredWhileDraining: number;
      /** Answers that could not be sent because the socket had closed (Collate repeats those requests). */
      unsent: number;
    };

export interface KeeperDependencies {
  keeperId: string;
  lease: KeeperLeaseStore;
  dial(): Promise<KeeperSocket>;
  /**
   * The shared request path: the response text for a frame (never throws), within `remainingMs()`, the time
   * until this keeper must have sent its last answer.
   */
  answer(frame: string | Buffer, remainingMs: () => number): Promise<string>;
  /** One heartbeat pass over this socket (runnerStatus, then status events); only the newest keeper beats. */
  beat?(send: (text: string) => Promise<void>, remainingMs: () => number): Promise<void>;
  nowMs(): number;
  /** Time left in this invocation. */
  remainingMs(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
  timing?: Partial<KeeperTiming>;
  onEvent?(event: KeeperEvent): void;
}

/** Exponential backoff with equal jitter: half the delay fixed, half random. */
export function backoffDelayMs(attempt: number, backoff: KeeperTiming['backoff'], random: number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}

/** Runs one keeper invocation to its end. Never throws for Collate's faults; the lease store's faults do. */
export async function runKeeper(deps: KeeperDependencies): Promise<KeeperOutcome> {
  const timing = { ...DEFAULT_KEEPER_TIMING, ...deps.timing };
  const emit = (event: KeeperEvent) => deps.onEvent?.(event);
  const servingTimeLeft = () => deps.remainingMs() - timing.drainReserveMs;
  // The last quarter of the drain reserve is kept for closing: answers must be sent before it.
  const exitReserveMs = timing.drainReserveMs / 4;
  const answerTimeLeft = () => deps.remainingMs() - exitReserveMs;

  const previous = await deps.lease.read();
  const generation = (previous?.generation ?? 0) + 1;
  const lease: KeeperLease = {
    generation,
    keeperId: deps.keeperId,
    state: 'connecting',
    leaveBy: deps.nowMs() + servingTimeLeft(),
    renewedAt: deps.nowMs(),
  };
  if (!(await deps.lease.claim(previous?.generation, lease))) {
    emit({ type: 'claim-lost', generation });
    return { outcome: 'claim-lost' };
  }
  emit({ type: 'claimed', generation });

  const superseded = async (): Promise<KeeperLease | undefined> => {
    const stored = await deps.lease.read();
    return stored && stored.generation > generation ? stored : undefined;
  };

  /** Dials until connected; undefined when refused, superseded or out of time. */
  let refusal: 401 | 403 | undefined;
  const connect = async (): Promise<{ socket: KeeperSocket; attempt: number } | undefined> => {
    for (let attempt = 0; servingTimeLeft() > 0; attempt++) {
      try {
        return { socket: await deps.dial(), attempt };
      } catch (error) {
        if (error instanceof DialRefusedError) {
          refusal = error.status;
          emit({ type: 'refused', status: error.status });
          return undefined;
        }
        const retryInMs = Math.min(
          backoffDelayMs(attempt, timing.backoff, deps.random()),
          Math.max(0, servingTimeLeft()),
        );
        emit({ type: 'dial-failed', attempt, retryInMs, error });
        if (await superseded()) return undefined;
        await deps.sleep(retryInMs);
      }
    }
    return undefined;
  };

  let answered = 0;
  let answeredWhileDraining = 0;
  let unsent = 0;
  let inFlight = 0;
  let framesReceived = 0;
  let lastFrameAt = deps.nowMs();
  let draining: DrainReason | undefined;
  let inFlightAtDrain = 0;
  let socket: KeeperSocket | undefined;
  let open = false;

  const attach = (next: KeeperSocket) => {
    socket = next;
    open = true;
    next.closed.then(({ code }) => {
      if (socket === next) open = false;
      if (!draining) emit({ type: 'disconnected', code });
    });
    next.onFrame((frame) => {
      lastFrameAt = deps.nowMs();
      framesReceived++;
      inFlight++;
      const lateArrival = draining !== undefined;
      deps
        .answer(frame, answerTimeLeft)
        // The answer goes out on the socket the request came from, whatever happens meanwhile.
        .then((text) => next.send(text))
        .then(
          () => {
            answered++;
            if (lateArrival) answeredWhileDraining++;
          },
          // Nothing to resend on: Collate repeats the request (same id) on the newest connection.
          (error: unknown) => {
            unsent++;
            emit({ type: 'send-failed', error });
          },
        )
        .finally(() => {
          inFlight--;
        });
    });
  };

  const first = await connect();
  if (!first) {
    if (refusal) return { outcome: 'refused', status: refusal };
    return { outcome: 'never-connected' };
  }
  attach(first.socket);
  await deps.lease.renew(generation, { state: 'connected', renewedAt: deps.nowMs() });
  emit({ type: 'connected', generation, attempt: first.attempt });

  let beating: Promise<void> | undefined;
  let lastBeatAt = Number.NEGATIVE_INFINITY;
  let lastRenewAt = deps.nowMs();
  let lastPollAt = Number.NEGATIVE_INFINITY;
  const send = (text: string) => {
    if (!socket || !open) return Promise.reject(new Error('The keeper socket is not open.'));
    return socket.send(text);
  };

  const startDraining = (reason: DrainReason) => {
    draining = reason;
    inFlightAtDrain = inFlight;
    lastFrameAt = Math.max(lastFrameAt, deps.nowMs());
    emit({ type: 'draining', reason, inFlight });
  };

  for (;;) {
    const now = deps.nowMs();
    if (!draining) {
      if (!open) {
        const again = await connect();
        if (!again) {
          if (refusal) return { outcome: 'refused', status: refusal };
          startDraining((await superseded()) ? 'superseded' : 'out of time');
          break;
        }
        attach(again.socket);
        emit({ type: 'connected', generation, attempt: again.attempt });
      }
      if (now - lastPollAt >= timing.leasePollMs) {
        lastPollAt = now;
        // A successor that only claimed (still dialling) does not make this one leave: it serves on.
        if ((await superseded())?.state === 'connected') startDraining('successor connected');
      }
      if (!draining && servingTimeLeft() <= 0) startDraining('out of time');
      if (!draining && now - lastRenewAt >= timing.renewMs) {
        lastRenewAt = now;
        await deps.lease.renew(generation, { state: 'connected', renewedAt: now });
      }
      if (!draining && deps.beat && !beating && now - lastBeatAt >= timing.heartbeatMs) {
        lastBeatAt = now;
        beating = deps
          .beat(send, servingTimeLeft)
          .catch((error: unknown) => emit({ type: 'beat-failed', error }))
          .finally(() => {
            beating = undefined;
          });
      }
    }
    if (draining) {
      // Keep a little time to send the last answers; past that, leave (a killed function answers nothing).
      if (!open || deps.remainingMs() <= exitReserveMs) break;
      if (inFlight === 0 && deps.nowMs() - lastFrameAt >= timing.quietMs) {
        // One more turn of the event loop reads what already arrived (a busy loop runs timers first).
        const seen = framesReceived;
        await deps.sleep(0);
        if (inFlight === 0 && framesReceived === seen) break;
      }
    }
    await deps.sleep(Math.min(timing.leasePollMs, timing.quietMs));
  }

  await beating;
  if (socket && open) {
    socket.close(HANDOVER_CLOSE_CODE, 'handover');
    await socket.closed;
  }
  emit({ type: 'closed', answered, answeredWhileDraining });
  const outcome =
    draining === 'successor connected'
      ? 'handed-over'
      : draining === 'out of time'
        ? 'left-without-successor'
        : 'superseded';
  return { outcome, generation, answered, inFlightAtDrain, answeredWhileDraining, unsent };
}
