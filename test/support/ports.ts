// Ports for a process that a test starts and tells where to listen (PORT=…). A port found by listening on 0
// and closing is an ephemeral one: any server that listens on 0 meanwhile (the stage's own DynamoDB, S3 and
// stand-ins start before its gateway; other test files run alongside) may be handed the same port, and the
// child then fails with EADDRINUSE. So these come from below the kernel's ephemeral range, which listening on
// 0 never hands out, and are checked free; only another explicit pick can collide, and it picks at random.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const HOST = '127.0.0.1';
/** Linux's default ip_local_port_range, for systems that do not expose theirs. */
const DEFAULT_EPHEMERAL = { low: 32768, high: 60999 };
const LOWEST = 10_000;
const ATTEMPTS = 50;

function ephemeralRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && high && low <= high) return { low, high };
  } catch {
    // Not Linux, or no /proc: assume the default range.
  }
  return DEFAULT_EPHEMERAL;
}

/** Ports outside the ephemeral range: below it, else above it when it starts too low to leave room. */
export function explicitPortRange(): { low: number; high: number } {
  const { low, high } = ephemeralRange();
  if (low - 1 - LOWEST >= 1000) return { low: LOWEST, high: low - 1 };
  if (65535 - high >= 1000) return { low: high + 1, high: 65535 };
  throw new Error(
    `The ephemeral port range ${low}-${high} leaves no range of 1,000 ports for tests: narrow it (sysctl net.ipv4.ip_local_port_range).`,
  );
}

/** Whether nothing listens on `port` at 127.0.0.1 (it is bound for a moment, then released). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, HOST, () => probe.close(() => done(true)));
  });
}

/** A free port that no server listening on 0 can take before the process it is meant for listens on it. */
export async function freeExplicitPort(random: () => number = Math.random): Promise<number> {
  const { low, high } = explicitPortRange();
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const candidate = low + Math.floor(random() * (high - low + 1));
    if (await portIsFree(candidate)) return candidate;
  }
  throw new Error(
    `No free port in ${low}-${high} after ${ATTEMPTS} tries: stop what holds them and run again.`,
  );
}
