// Fault injection for the emulator's HTTP server: per path and verb, answer with 429 (with Retry-After),
// 500 or 503, reset the connection, or hang until the client gives up; for N requests or with a
// probability. Plus an added latency per request, for benchmarks.

export type FaultKind =
  | { kind: 'status'; status: 429 | 500 | 503; retryAfterSeconds?: number }
  | { kind: 'reset' }
  | { kind: 'hang' };

export type FaultRule = FaultKind & {
  /** HTTP method to match (GET, POST, PUT, PATCH, DELETE); any when absent. */
  method?: string;
  /** Substring of, or pattern for, the request path (without query); any when absent. */
  path?: string | RegExp;
  /** How many matching requests to fault; unlimited when absent. */
  times?: number;
  /** Chance that a matching request is faulted (0..1); 1 when absent. */
  probability?: number;
};

export interface InjectedFault {
  readonly id: number;
  /** Requests this rule faulted so far. */
  readonly hits: number;
  remove(): void;
}

interface ActiveRule {
  id: number;
  rule: FaultRule;
  hits: number;
}

export class FaultInjector {
  private rules: ActiveRule[] = [];
  private nextId = 1;
  private latencyMs = 0;
  private readonly random: () => number;

  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  inject(rule: FaultRule): InjectedFault {
    if (rule.probability !== undefined && (rule.probability < 0 || rule.probability > 1)) {
      throw new Error(`fault probability must be between 0 and 1, got ${rule.probability}`);
    }
    const active: ActiveRule = { id: this.nextId++, rule, hits: 0 };
    this.rules.push(active);
    const remove = (): void => {
      this.rules = this.rules.filter((r) => r !== active);
    };
    return {
      id: active.id,
      get hits() {
        return active.hits;
      },
      remove,
    };
  }

  /** Adds this many milliseconds before every response (0 turns it off). */
  setLatency(ms: number): void {
    if (!(ms >= 0)) throw new Error(`latency must be a non-negative number of milliseconds, got ${ms}`);
    this.latencyMs = ms;
  }

  get latency(): number {
    return this.latencyMs;
  }

  clear(): void {
    this.rules = [];
    this.latencyMs = 0;
  }

  /** The fault to apply to this request, if any; counts it against the rule. */
  match(method: string, path: string): FaultKind | undefined {
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (rule.path !== undefined) {
        const matches = typeof rule.path === 'string' ? path.includes(rule.path) : rule.path.test(path);
        if (!matches) continue;
      }
      if (rule.times !== undefined && active.hits >= rule.times) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      active.hits++;
      return rule;
    }
    return undefined;
  }
}
