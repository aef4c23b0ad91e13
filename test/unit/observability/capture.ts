// Captures what the process writes to stdout and stderr (Powertools writes its JSON lines there).
import { vi } from 'vitest';

export interface Captured {
  text(): string;
  /** Every non-empty line parsed as JSON (fails the test on a line that is not JSON). */
  json(): Array<Record<string, unknown>>;
  restore(): void;
}

export function captureOutput(): Captured {
  const chunks: string[] = [];
  const record = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(record as typeof process.stdout.write);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(record as typeof process.stderr.write);
  return {
    text: () => chunks.join(''),
    json: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

/** Every string and every object key anywhere in a value. */
export function allStrings(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const item of value) allStrings(item, into);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      into.push(key);
      allStrings(item, into);
    }
  }
  return into;
}
