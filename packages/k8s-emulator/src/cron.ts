// CronWorkflow schedules as Argo reads them (robfig/cron with the standard five-field parser plus
// descriptors such as @daily and `@every <duration>`), evaluated in the CronWorkflow's time zone.
import { Cron } from 'croner';

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const DURATION_UNITS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000001,
};

/** Parses a Go duration (`1h30m`, `45s`); undefined when malformed. */
export function parseGoDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/.test(text)) return text === '0' ? 0 : undefined;
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) {
    total += Number(match[1]) * (DURATION_UNITS[match[2] ?? ''] ?? 0);
  }
  return total;
}

export interface Schedule {
  /** The most recent fire time in `(after, until]`, if any. */
  latestBetween(after: Date, until: Date): Date | undefined;
}

/** Compiles one schedule string; throws an Error with Argo-like wording when it is not valid. */
export function compileSchedule(expression: string, timezone: string | undefined): Schedule {
  if (timezone) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      throw new Error(`invalid timezone '${timezone}': unknown time zone ${timezone}`);
    }
  }
  const trimmed = expression.trim();
  if (trimmed.startsWith('@every ')) {
    const interval = parseGoDuration(trimmed.slice('@every '.length).trim());
    if (interval === undefined || interval < 1000) {
      throw new Error(
        `cron schedule '${expression}' is malformed: failed to parse duration ${trimmed.slice(7)}`,
      );
    }
    return {
      latestBetween(after, until) {
        // Fires every interval counted from the epoch, which is what matters for "is one due" checks.
        const latest = Math.floor(until.getTime() / interval) * interval;
        return latest > after.getTime() ? new Date(latest) : undefined;
      },
    };
  }
  const pattern = DESCRIPTORS[trimmed] ?? trimmed;
  if (pattern.startsWith('@'))
    throw new Error(`cron schedule '${expression}' is malformed: unrecognized descriptor: ${pattern}`);
  if (pattern.split(/\s+/).length !== 5) {
    throw new Error(
      `cron schedule '${expression}' is malformed: expected exactly 5 fields, found ${pattern.split(/\s+/).length}`,
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(pattern, { paused: true, mode: '5-part', ...(timezone ? { timezone } : {}) });
  } catch (error) {
    throw new Error(`cron schedule '${expression}' is malformed: ${(error as Error).message}`);
  }
  return {
    latestBetween(after, until) {
      let latest: Date | undefined;
      let cursor: Date | null = cron.nextRun(after);
      for (let guard = 0; cursor && cursor.getTime() <= until.getTime() && guard < 100_000; guard++) {
        latest = cursor;
        cursor = cron.nextRun(cursor);
      }
      return latest;
    },
  };
}
