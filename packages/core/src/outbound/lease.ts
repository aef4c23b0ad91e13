// The keeper lease: which outbound keeper holds the bridge, so that a scheduled tick starts a successor only
// when one is needed and exactly one successor wins. A keeper claims the next generation with a conditional
// write, marks it connected once its socket is open, and renews it while it serves; its predecessor leaves when
// it sees a newer generation connected.

export type KeeperLeaseState = 'connecting' | 'connected';

export interface KeeperLease {
  generation: number;
  /** The invocation holding it (the Lambda request id), for logs. */
  keeperId: string;
  state: KeeperLeaseState;
  /** Epoch ms when this keeper leaves at the latest (its timeout less the drain reserve). */
  leaveBy: number;
  /** Epoch ms of its last renewal: a keeper that stops renewing has died. */
  renewedAt: number;
}

export interface KeeperLeaseStore {
  read(): Promise<KeeperLease | undefined>;
  /** Stores `next` only while the stored generation is `expected` (undefined: none yet); false if another won. */
  claim(expected: number | undefined, next: KeeperLease): Promise<boolean>;
  /** Updates the state and renewal time of `generation` while it is still the stored one; false otherwise. */
  renew(generation: number, patch: Pick<KeeperLease, 'state' | 'renewedAt'>): Promise<boolean>;
}

export interface TakeoverPolicy {
  /** A lease not renewed for this long belongs to a keeper that died (crash, killed at its timeout). */
  staleAfterMs: number;
  /** Start the successor this long before the holder's leaveBy, so a late or failed tick still leaves time. */
  leadMs: number;
}

/** How often the schedule (EventBridge in AWS) starts a keeper that reads the lease; the policy is built on it. */
export const KEEPER_TICK_MS = 60_000;

/**
 * With a tick every minute (KEEPER_TICK_MS) and keepers renewing every 10 s: a dead keeper is replaced within about 90 s, and a
 * leaving one gets its successor 3 minutes ahead, so two late or failed ticks still leave no gap.
 */
export const DEFAULT_TAKEOVER_POLICY: TakeoverPolicy = { staleAfterMs: 30_000, leadMs: 180_000 };

export type TakeoverDecision =
  | { takeOver: true; reason: 'no keeper' | 'holder stale' | 'holder leaving' }
  | { takeOver: false; reason: 'holder serving' };

/** Whether a scheduled tick should start a keeper now, given the stored lease. */
export function decideTakeover(
  lease: KeeperLease | undefined,
  nowMs: number,
  policy: TakeoverPolicy,
): TakeoverDecision {
  if (!lease) return { takeOver: true, reason: 'no keeper' };
  if (nowMs - lease.renewedAt >= policy.staleAfterMs) return { takeOver: true, reason: 'holder stale' };
  if (lease.leaveBy - nowMs <= policy.leadMs) return { takeOver: true, reason: 'holder leaving' };
  return { takeOver: false, reason: 'holder serving' };
}

/** An in-memory lease store with the same conditional semantics (tests, benchmarks, the local stage). */
export class MemoryKeeperLeaseStore implements KeeperLeaseStore {
  #lease: KeeperLease | undefined;

  async read(): Promise<KeeperLease | undefined> {
    return this.#lease ? { ...this.#lease } : undefined;
  }

  async claim(expected: number | undefined, next: KeeperLease): Promise<boolean> {
    if (this.#lease?.generation !== expected) return false;
    this.#lease = { ...next };
    return true;
  }

  async renew(generation: number, patch: Pick<KeeperLease, 'state' | 'renewedAt'>): Promise<boolean> {
    if (this.#lease?.generation !== generation) return false;
    this.#lease = { ...this.#lease, ...patch };
    return true;
  }
}
