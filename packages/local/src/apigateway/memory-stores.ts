// In-memory stand-ins for the bridge's DynamoDB stores, for the local stage without dynalite and for
// benchmarks that must exclude I/O. Single-process only: they prove logic, not DynamoDB's semantics
// (the DynamoDB adapters are tested against dynalite for that).
import type {
  ClaimOptions,
  ConnectionRecord,
  ConnectionStore,
  CursorStore,
  IdempotencyClaim,
  IdempotencyStore,
} from '@hybrid-runner/core';

export class InMemoryConnectionStore implements ConnectionStore {
  readonly records = new Map<string, ConnectionRecord>();
  readonly #pageSize: number;
  readonly #now: () => number;

  constructor(options: { pageSize?: number; now?: () => number } = {}) {
    this.#pageSize = options.pageSize ?? 100;
    this.#now = options.now ?? Date.now;
  }

  async put(record: ConnectionRecord): Promise<void> {
    this.records.set(record.connectionId, { ...record });
  }

  async remove(connectionId: string): Promise<void> {
    this.records.delete(connectionId);
  }

  async get(connectionId: string): Promise<ConnectionRecord | undefined> {
    const record = this.records.get(connectionId);
    return record && record.ttl * 1000 > this.#now() ? { ...record } : undefined;
  }

  async list(cursor?: string): Promise<{ items: ConnectionRecord[]; cursor?: string }> {
    const all = [...this.records.values()].sort((a, b) => a.connectionId.localeCompare(b.connectionId));
    const start = cursor ? all.findIndex((record) => record.connectionId > cursor) : 0;
    if (start < 0) return { items: [] };
    const page = all.slice(start, start + this.#pageSize);
    const items = page.filter((record) => record.ttl * 1000 > this.#now()).map((record) => ({ ...record }));
    const last = page.at(-1);
    return start + this.#pageSize < all.length && last ? { items, cursor: last.connectionId } : { items };
  }
}

interface StoredClaim {
  status: 'IN_PROGRESS' | 'COMPLETED';
  fingerprint: string;
  response?: string;
  expiresAtMs: number;
  lockExpiresAtMs: number;
}

export class InMemoryIdempotencyStore implements IdempotencyStore {
  readonly claims = new Map<string, StoredClaim>();

  async claim(key: string, fingerprint: string, options: ClaimOptions): Promise<IdempotencyClaim> {
    const existing = this.claims.get(key);
    const free =
      !existing ||
      existing.expiresAtMs <= options.nowMs ||
      (existing.status === 'IN_PROGRESS' && existing.lockExpiresAtMs <= options.nowMs);
    if (free) {
      this.claims.set(key, {
        status: 'IN_PROGRESS',
        fingerprint,
        expiresAtMs: options.nowMs + options.retainSeconds * 1000,
        lockExpiresAtMs: options.nowMs + options.lockMs,
      });
      return { status: 'claimed' };
    }
    if (existing.status === 'COMPLETED' && existing.response !== undefined) {
      return { status: 'completed', fingerprint: existing.fingerprint, response: existing.response };
    }
    return { status: 'in_progress', fingerprint: existing.fingerprint };
  }

  async complete(
    key: string,
    response: string,
    options: { nowMs: number; retainSeconds: number },
  ): Promise<void> {
    const existing = this.claims.get(key);
    this.claims.set(key, {
      status: 'COMPLETED',
      fingerprint: existing?.fingerprint ?? '',
      response,
      expiresAtMs: options.nowMs + options.retainSeconds * 1000,
      lockExpiresAtMs: 0,
    });
  }

  async release(key: string): Promise<void> {
    if (this.claims.get(key)?.status === 'IN_PROGRESS') this.claims.delete(key);
  }
}

export class InMemoryCursorStore implements CursorStore {
  readonly cursors = new Map<string, { value: string; expiresAtMs: number }>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async get(name: string): Promise<string | undefined> {
    const entry = this.cursors.get(name);
    return entry && entry.expiresAtMs > this.#now() ? entry.value : undefined;
  }

  async set(name: string, value: string | undefined, options: { retainSeconds: number }): Promise<void> {
    if (value === undefined) this.cursors.delete(name);
    else this.cursors.set(name, { value, expiresAtMs: this.#now() + options.retainSeconds * 1000 });
  }
}
