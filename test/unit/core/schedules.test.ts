import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  CRON_PRESETS,
  toCronSchedule,
  validateCronExpression,
  validateTimezone,
} from '@hybrid-runner/core';

function errorOf(run: () => unknown): BadRequestError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return error as BadRequestError;
  }
  throw new Error('expected a BadRequestError');
}

describe('toCronSchedule', () => {
  it.each([
    [undefined, undefined],
    [null, null],
    ['', 'UTC'],
    ['   ', undefined],
    ['None', undefined],
  ])('runs on demand only for %j', (interval, zone) => {
    expect(toCronSchedule(interval, zone)).toBeUndefined();
  });

  it.each([
    ['@hourly', '0 * * * *'],
    ['@daily', '0 0 * * *'],
    ['@midnight', '0 0 * * *'],
    ['@weekly', '0 0 * * 0'],
    ['@monthly', '0 0 1 * *'],
    ['@yearly', '0 0 1 1 *'],
    ['@annually', '0 0 1 1 *'],
    ['@DAILY', '0 0 * * *'],
  ])('maps the preset %s to %s', (preset, cron) => {
    expect(toCronSchedule(preset)).toEqual({ schedules: [cron] });
  });

  it.each([
    ['*/5 * * * *'],
    ['0 2 * * MON-FRI'],
    ['0 0 1 JAN,JUL *'],
    ['15,45 8-18/2 * * 1-5'],
    ['0 0 28-31 * *'],
    ['0 12 ? * sun'],
    ['0 0 1-15/7 * *'],
  ])('accepts the cron %s', (cron) => {
    expect(toCronSchedule(cron)).toEqual({ schedules: [cron] });
  });

  it('normalises whitespace between fields', () => {
    expect(toCronSchedule('  0   2 *\t* 1 ')).toEqual({ schedules: ['0 2 * * 1'] });
  });

  it('passes a valid IANA zone through, canonically cased', () => {
    expect(toCronSchedule('@daily', 'Europe/Paris')).toEqual({
      schedules: ['0 0 * * *'],
      timezone: 'Europe/Paris',
    });
    expect(toCronSchedule('@daily', 'america/new_york')?.timezone).toBe('America/New_York');
    expect(toCronSchedule('@daily', 'UTC')?.timezone).toBe('UTC');
    expect(toCronSchedule('@daily', '  ')).toEqual({ schedules: ['0 0 * * *'] });
  });

  it.each([
    ['* * * *', /has 4 fields, not 5/],
    ['0 0 * * * *', /has 6 fields, not 5/],
    ['60 * * * *', /minute 60 is out of range 0-59/],
    ['0 24 * * *', /hour 24 is out of range 0-23/],
    ['0 0 0 * *', /day of month 0 is out of range 1-31/],
    ['0 0 32 * *', /day of month 32 is out of range 1-31/],
    ['0 0 1 13 *', /month 13 is out of range 1-12/],
    ['0 0 * * 8', /day of week 8 is out of range 0-7/],
    ['0 0 * FOO *', /month "FOO" must be a number or a name \(JAN…DEC\)/],
    ['0 0 * * MON-XYZ', /day of week "XYZ" must be a number or a name \(SUN…SAT\)/],
    ['*/0 * * * *', /step "\/0" must be a positive whole number/],
    ['*/x * * * *', /step "\/x" must be a positive whole number/],
    ['0 5-2 * * *', /hour range "5-2" runs backwards/],
    ['0 1,,2 * * *', /hour "1,,2" has an empty list item/],
    ['0 1-2-3 * * *', /hour range "1-2-3" is malformed/],
    ['0 0 * * 1/2/3', /day of week "1\/2\/3" is malformed/],
    ['? * * * *', /"\?" is only allowed for day of month or day of week/],
    ['*/90 * * * *', /minute step 90 is larger than 59/],
    ['@every 5m', /"@every 5m" is not a known preset/],
    ['@once', /@once cannot be scheduled: run the pipeline on demand instead/],
    ['daily', /has 1 field, not 5/],
  ])('refuses %j naming the field and the fix', (cron, why) => {
    const error = errorOf(() => toCronSchedule(cron));
    expect(error.code).toBe('bad_request');
    expect(error.message).toContain(
      `pipeline.airflowConfig.scheduleInterval "${cron}" is not a valid schedule`,
    );
    expect(error.message).toMatch(why);
    expect(error.message).toContain('use 5 fields');
  });

  it.each([['Mars/Olympus_Mons'], ['+01:00'], ['Europe/Pariss'], ['GMT+25'], ['../etc/passwd']])(
    'refuses the time zone %j naming the field and the fix',
    (zone) => {
      const error = errorOf(() => toCronSchedule('@daily', zone));
      expect(error.message).toBe(
        `pipeline.airflowConfig.pipelineTimezone "${zone}" is not a known IANA time zone: use a name such as "UTC", ` +
          `"Europe/Paris" or "America/New_York", or leave it empty for UTC.`,
      );
    },
  );

  it('checks the zone even when the cron is fine, and the cron before the zone', () => {
    expect(() => toCronSchedule('0 0 * * *', 'Nowhere/Land')).toThrow(/pipelineTimezone/);
    expect(() => toCronSchedule('99 0 * * *', 'Nowhere/Land')).toThrow(/scheduleInterval/);
  });
});

/** Test oracle: the days a day-of-week field selects (0–6, Sunday 0), numbers only, `a/n` ending at 6. */
function daysOf(field: string): number[] {
  const days = new Set<number>();
  for (const part of field.split(',')) {
    const [range = '', step = '1'] = part.split('/');
    const [low, high] =
      range === '*'
        ? [0, 6]
        : range.includes('-')
          ? range.split('-').map(Number)
          : [Number(range), part.includes('/') ? 6 : Number(range)];
    for (let day = low as number; day <= (high as number); day += Number(step)) days.add(day % 7);
  }
  return [...days].sort();
}

describe('Sunday as 7 (croniter accepts it, Argo does not)', () => {
  it.each([
    ['7', '0'],
    ['5-7', '5-6,0'],
    ['6-7', '6,0'],
    ['7-7', '0'],
    ['1-7/2', '1-6/2,0'],
    ['0-7/3', '0-6/3'],
    ['7/2', '0'],
    ['1,7', '1,0'],
    ['3/2', '3/2'],
    ['MON-FRI', 'MON-FRI'],
    ['SAT,7', 'SAT,0'],
  ])('rewrites day of week %s as %s', (field, expected) => {
    expect(toCronSchedule(`0 0 * * ${field}`)).toEqual({ schedules: [`0 0 * * ${expected}`] });
  });

  it('selects the same days without ever writing 7 (property)', () => {
    const part = fc.oneof(
      fc.integer({ min: 0, max: 7 }).map(String),
      fc
        .tuple(
          fc.integer({ min: 0, max: 7 }),
          fc.integer({ min: 0, max: 7 }),
          fc.option(fc.integer({ min: 1, max: 7 })),
        )
        .filter(([a, b]) => a <= b)
        .map(([a, b, step]) => `${a}-${b}${step ? `/${step}` : ''}`),
    );
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
        const field = parts.join(',');
        const rewritten = (toCronSchedule(`0 0 * * ${field}`)?.schedules[0] ?? '').split(' ')[4] ?? '';
        expect(rewritten).not.toMatch(/(^|[,-])7($|[,/-])/);
        expect(daysOf(rewritten)).toEqual(daysOf(field));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('validators', () => {
  it('every preset maps to a cron the validator accepts', () => {
    for (const cron of Object.values(CRON_PRESETS)) expect(validateCronExpression(cron)).toBe(cron);
  });

  it('validateTimezone returns the canonical zone', () => {
    expect(validateTimezone('Asia/Tokyo')).toBe('Asia/Tokyo');
    expect(() => validateTimezone('')).toThrow(BadRequestError);
  });
});
