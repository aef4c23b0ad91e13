import { describe, expect, it } from 'vitest';
import { compileSchedule, parseGoDuration } from '@hybrid-runner/k8s-emulator';

describe('CronWorkflow schedules', () => {
  it('finds the latest fire time in a window, in UTC by default', () => {
    const schedule = compileSchedule('*/15 * * * *', undefined);
    expect(
      schedule
        .latestBetween(new Date('2026-01-01T10:01:00Z'), new Date('2026-01-01T10:40:00Z'))
        ?.toISOString(),
    ).toBe('2026-01-01T10:30:00.000Z');
    expect(
      schedule.latestBetween(new Date('2026-01-01T10:31:00Z'), new Date('2026-01-01T10:44:59Z')),
    ).toBeUndefined();
  });

  it('evaluates the schedule in the CronWorkflow time zone', () => {
    const schedule = compileSchedule('0 2 * * *', 'Europe/Madrid');
    // 02:00 in Madrid in January is 01:00 UTC.
    expect(
      schedule
        .latestBetween(new Date('2026-01-10T00:00:00Z'), new Date('2026-01-10T03:00:00Z'))
        ?.toISOString(),
    ).toBe('2026-01-10T01:00:00.000Z');
  });

  it('accepts descriptors and @every durations', () => {
    expect(
      compileSchedule('@daily', undefined)
        .latestBetween(new Date('2026-01-01T12:00:00Z'), new Date('2026-01-02T12:00:00Z'))
        ?.toISOString(),
    ).toBe('2026-01-02T00:00:00.000Z');
    const every = compileSchedule('@every 30m', undefined);
    expect(
      every.latestBetween(new Date('2026-01-01T00:10:00Z'), new Date('2026-01-01T00:40:00Z'))?.toISOString(),
    ).toBe('2026-01-01T00:30:00.000Z');
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('soon')).toBeUndefined();
  });

  it('rejects what Argo rejects: six fields, unknown descriptors, unknown time zones', () => {
    expect(() => compileSchedule('0 * * * * *', undefined)).toThrow(/expected exactly 5 fields/);
    expect(() => compileSchedule('@fortnightly', undefined)).toThrow(/unrecognized descriptor/);
    expect(() => compileSchedule('0 * * * *', 'Mars/Olympus')).toThrow(/invalid timezone/);
    expect(() => compileSchedule('61 * * * *', undefined)).toThrow(/malformed/);
  });
});
