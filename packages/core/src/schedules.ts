// A pipeline's `airflowConfig.scheduleInterval` and `pipelineTimezone` → an Argo CronWorkflow schedule.
// Argo's own cron parser accepts more than we do (seconds, `@every`); we accept what Collate sends
// (5-field cron and the Airflow presets) and refuse anything else up front, with the field and the fix.
import { BadRequestError } from './errors.ts';

export interface CronSchedule {
  /** CronWorkflow `spec.schedules` (the list form; the singular `schedule` is gone in Argo v4). */
  schedules: string[];
  /** IANA zone for `spec.timezone`; absent means the controller's zone (UTC on EKS). */
  timezone?: string;
}

const SCHEDULE_FIELD = 'pipeline.airflowConfig.scheduleInterval';
const TIMEZONE_FIELD = 'pipeline.airflowConfig.pipelineTimezone';

/** Airflow presets → cron. `@once` and `None` have no cron equivalent and are refused below. */
export const CRON_PRESETS: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  // Collate (croniter) accepts 7 for Sunday; Argo's parser (robfig/cron) stops at 6, so 7 is rewritten as 0.
  { name: 'day of week', min: 0, max: 7, names: DAY_NAMES },
];

const CRON_HELP =
  'use 5 fields "minute hour day-of-month month day-of-week" (for example "0 2 * * MON-FRI") ' +
  'or one of @hourly, @daily, @weekly, @monthly, @yearly; leave it empty to run on demand only';

function invalidCron(expression: string, why: string): BadRequestError {
  return new BadRequestError(
    `${SCHEDULE_FIELD} "${expression}" is not a valid schedule: ${why}; ${CRON_HELP}.`,
  );
}

function parseValue(text: string, field: CronField, expression: string): number {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return field.names === MONTH_NAMES ? named + 1 : named;
  if (!/^\d+$/.test(text)) {
    const names = field.names ? ` or a name (${field.names[0]}…${field.names.at(-1)})` : '';
    throw invalidCron(expression, `${field.name} "${text}" must be a number${names}`);
  }
  const value = Number(text);
  if (value < field.min || value > field.max) {
    throw invalidCron(expression, `${field.name} ${value} is out of range ${field.min}-${field.max}`);
  }
  return value;
}

/** Validates one comma-separated cron field: `*`, `a`, `a-b`, each optionally `/step`. */
function checkField(text: string, field: CronField, expression: string): void {
  for (const part of text.split(',')) {
    if (part === '') throw invalidCron(expression, `${field.name} "${text}" has an empty list item`);
    const [range, step, extra] = part.split('/');
    if (extra !== undefined || range === undefined || range === '') {
      throw invalidCron(expression, `${field.name} "${part}" is malformed`);
    }
    if (step !== undefined) {
      if (!/^\d+$/.test(step) || Number(step) === 0) {
        throw invalidCron(expression, `${field.name} step "/${step}" must be a positive whole number`);
      }
      if (Number(step) > field.max) {
        throw invalidCron(expression, `${field.name} step ${step} is larger than ${field.max}`);
      }
    }
    if (range === '*' || range === '?') {
      if (range === '?' && field.name !== 'day of month' && field.name !== 'day of week') {
        throw invalidCron(expression, `"?" is only allowed for day of month or day of week`);
      }
      continue;
    }
    const bounds = range.split('-');
    if (bounds.length > 2 || bounds.some((b) => b === '')) {
      throw invalidCron(expression, `${field.name} range "${range}" is malformed`);
    }
    const low = parseValue(bounds[0] as string, field, expression);
    if (bounds.length === 2) {
      const high = parseValue(bounds[1] as string, field, expression);
      if (high < low) throw invalidCron(expression, `${field.name} range "${range}" runs backwards`);
    }
  }
}

/**
 * Day-of-week with Sunday as 0 only, because Argo's parser refuses 7: `7` → `0`, `5-7` → `5-6,0`,
 * `1-7/2` → `1-6/2,0`. Runs on an already validated field; names (SUN = 0) and `a/n` (which ends at 6
 * in both croniter and Argo) are left as they are.
 */
function sundayAsZero(field: string): string {
  return field
    .split(',')
    .map((part) => {
      const [range = '', step] = part.split('/');
      if (range === '7') return '0'; // `7` and `7/n` (which reaches no further than 7) are Sunday alone
      const bounds = /^(\d+)-7$/.exec(range);
      if (!bounds) return part;
      const low = Number(bounds[1]);
      if (low === 7) return '0';
      const every = step === undefined ? 1 : Number(step);
      const upToSaturday =
        low === 6 && step === undefined ? '6' : `${low}-6${step === undefined ? '' : `/${step}`}`;
      return (7 - low) % every === 0 ? `${upToSaturday},0` : upToSaturday;
    })
    .join(',');
}

/** Checks a 5-field cron expression; returns it with single spaces and Sunday written as 0 (for Argo). */
export function validateCronExpression(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== CRON_FIELDS.length) {
    throw invalidCron(expression, `it has ${fields.length} field${fields.length === 1 ? '' : 's'}, not 5`);
  }
  fields.forEach((text, index) => checkField(text, CRON_FIELDS[index] as CronField, expression));
  fields[4] = sundayAsZero(fields[4] as string);
  return fields.join(' ');
}

/** Zones already checked (Intl is slow to construct; there are only a few hundred zone names). */
const knownZones = new Map<string, string>();

/** Checks an IANA time zone name against the runtime's zone database (Intl). */
export function validateTimezone(timezone: string): string {
  const zone = timezone.trim();
  const known = knownZones.get(zone);
  if (known !== undefined) return known;
  // Intl also accepts UTC offsets ("+01:00"), which Argo's Go zone loader does not.
  const looksLikeZoneName = /^[A-Za-z][A-Za-z0-9_+/-]*$/.test(zone);
  try {
    if (!looksLikeZoneName) throw new RangeError(zone);
    // Intl canonicalises case ("europe/paris" → "Europe/Paris"); Argo's Go loader is case-sensitive.
    const canonical = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
    if (knownZones.size < 2000) knownZones.set(zone, canonical);
    return canonical;
  } catch {
    throw new BadRequestError(
      `${TIMEZONE_FIELD} "${timezone}" is not a known IANA time zone: use a name such as "UTC", ` +
        `"Europe/Paris" or "America/New_York", or leave it empty for UTC.`,
    );
  }
}

/**
 * The CronWorkflow schedule for a pipeline, or `undefined` when it runs on demand only (no interval,
 * empty, or Airflow's `None`). Throws BadRequestError naming the field for an invalid interval or zone.
 */
export function toCronSchedule(
  scheduleInterval?: string | null,
  timezone?: string | null,
): CronSchedule | undefined {
  const interval = scheduleInterval?.trim() ?? '';
  if (interval === '' || interval === 'None' || interval === 'null') return undefined;
  let cron: string;
  if (interval.startsWith('@')) {
    const preset = CRON_PRESETS[interval.toLowerCase()];
    if (preset === undefined) {
      throw invalidCron(
        interval,
        interval.toLowerCase() === '@once'
          ? '@once cannot be scheduled: run the pipeline on demand instead'
          : `"${interval}" is not a known preset`,
      );
    }
    cron = preset;
  } else {
    cron = validateCronExpression(interval);
  }
  const zone = timezone?.trim();
  return zone ? { schedules: [cron], timezone: validateTimezone(zone) } : { schedules: [cron] };
}
