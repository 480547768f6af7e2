/**
 * A connection's rotation schedule in Secrets Manager's own form (RotationRules:
 * `ScheduleExpression` and `Duration`), parsed and checked as Secrets Manager documents it, and the
 * windows it opens: the sweep does routine work only inside them (core/operations/routine.ts).
 *
 *   rate(N hours)  N >= 4: windows open at 00:00 UTC and every N hours after it that day; 1 hour by default.
 *   rate(N days)   N 1-999: windows open at 00:00 UTC; they last until the end of the day by default.
 *   cron(0 H DoM M DoW *)  Secrets Manager's six fields, UTC: minutes must be 0 (windows open on
 *                  the hour) and the year `*`; hours `, - * /`; day-of-month `, - * ? / L`; month
 *                  `, - * /` (1-12, JAN-DEC); day-of-week `, - * ? / L #` (1-7, SUN-SAT); exactly one
 *                  of day-of-month and day-of-week is `?`. A schedule of several hours a day lasts
 *                  1 hour by default, one of a single hour until the end of the day.
 *   duration       `<N>h`, 1-24: the window must not reach into the next UTC day, nor into the
 *                  next window of an hourly schedule. No two windows open less than 4 hours apart.
 * The cadence of rate(N days) (every N days counted from the last rotation) is Secrets Manager's
 * business: the sweep renews a token by its own refresh point, and honours the time of day only.
 *
 * Written here rather than taken from a cron library: the expressions Secrets Manager accepts are
 * whole hours on some days, which this small parser covers exactly, while the general libraries
 * read AWS's `?`, `L` and `#` differently (croner: `?` is a wildcard, last weekday is `5#L`),
 * know nothing of rate() or Duration, and would add 15-25 KB to every function bundle.
 */
import { ValidationError } from './errors.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Secrets Manager rotates at most every four hours. */
export const MIN_WINDOW_GAP_HOURS = 4;
/** How far ahead a next window is looked for: a schedule that opens none in five years never opens. */
const SEARCH_DAYS = 5 * 366;

export interface RotationScheduleInput {
  scheduleExpression: string;
  duration?: string | undefined;
}

type DayRule =
  | { kind: 'any' }
  | { kind: 'days-of-month'; days: ReadonlySet<number>; last: boolean }
  | { kind: 'days-of-week'; days: ReadonlySet<number>; last: ReadonlySet<number>; nth: ReadonlyArray<{ day: number; n: number }> };

export interface RotationSchedule {
  readonly scheduleExpression: string;
  readonly duration?: string;
  /** UTC hours at which a window opens, ascending. */
  readonly hours: readonly number[];
  readonly months: ReadonlySet<number>;
  readonly days: DayRule;
  /** How long each window stays open. */
  readonly windowHours: number;
}

export interface Window {
  opensAt: Date;
  closesAt: Date;
}

/**
 * Parses and checks a schedule; throws a ValidationError naming `<field>.scheduleExpression` or
 * `<field>.duration` and what was expected.
 */
export function parseRotationSchedule(input: RotationScheduleInput, field = 'rotationSchedule'): RotationSchedule {
  const expressionField = `${field}.scheduleExpression`;
  const fail = (where: string, problem: string): never => {
    throw new ValidationError(`${where}: ${problem}`, where);
  };
  const expression = typeof input?.scheduleExpression === 'string' ? input.scheduleExpression.trim() : fail(expressionField, 'expected a rate(...) or cron(...) expression');
  const shape = parseExpression(expression, (problem) => fail(expressionField, problem));

  let windowHours = shape.defaultWindowHours;
  if (input.duration !== undefined) {
    const match = /^(\d{1,2})h$/.exec(input.duration);
    const hours = match ? Number(match[1]) : NaN;
    if (!(hours >= 1 && hours <= 24)) fail(`${field}.duration`, `expected whole hours from 1h to 24h (Secrets Manager's form, e.g. "4h"), got ${JSON.stringify(input.duration)}`);
    windowHours = hours;
  }
  const hours = shape.hours;
  const gaps = hours.map((h, i) => (i + 1 < hours.length ? (hours[i + 1] as number) - h : 24 - h + (hours[0] as number)));
  const smallest = Math.min(...gaps);
  if (hours.length > 1 && smallest < MIN_WINDOW_GAP_HOURS) {
    fail(expressionField, `expected windows at least ${MIN_WINDOW_GAP_HOURS} hours apart (Secrets Manager rotates at most every ${MIN_WINDOW_GAP_HOURS} hours), got ${smallest} hours between two`);
  }
  if (hours.length > 1 && windowHours > smallest) {
    fail(`${field}.duration`, `expected at most ${smallest}h: a window must close before the next one opens`);
  }
  const last = hours[hours.length - 1] as number;
  if (last + windowHours > 24) fail(`${field}.duration`, `expected at most ${24 - last}h: the window opening at ${last}:00 UTC must close by the end of the UTC day`);

  const schedule: RotationSchedule = {
    scheduleExpression: expression,
    ...(input.duration !== undefined ? { duration: input.duration } : {}),
    hours,
    months: shape.months,
    days: shape.days,
    windowHours,
  };
  if (nextOpening(schedule, Date.UTC(2000, 0, 1)) === undefined && nextOpening(schedule, Date.now()) === undefined) {
    fail(expressionField, 'expected a schedule that opens a window: this one matches no day');
  }
  return schedule;
}

/** The window open at `nowMs`, or else the next one; undefined only for a schedule that never opens. */
export function windowAt(schedule: RotationSchedule, nowMs: number): (Window & { open: boolean }) | undefined {
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  if (dayMatches(schedule, today)) {
    for (const h of schedule.hours) {
      const opens = today + h * HOUR_MS;
      const closes = opens + schedule.windowHours * HOUR_MS;
      if (opens <= nowMs && nowMs < closes) return { open: true, opensAt: new Date(opens), closesAt: new Date(closes) };
    }
  }
  const opens = nextOpening(schedule, nowMs);
  return opens === undefined ? undefined : { open: false, opensAt: new Date(opens), closesAt: new Date(opens + schedule.windowHours * HOUR_MS) };
}

/** The first window opening strictly after `fromMs`. */
export function nextOpening(schedule: RotationSchedule, fromMs: number): number | undefined {
  const first = Math.floor(fromMs / DAY_MS) * DAY_MS;
  for (let d = 0; d < SEARCH_DAYS; d++) {
    const day = first + d * DAY_MS;
    if (!dayMatches(schedule, day)) continue;
    for (const h of schedule.hours) {
      const opens = day + h * HOUR_MS;
      if (opens > fromMs) return opens;
    }
  }
  return undefined;
}

/** The longest time between two window openings over the next two years, in seconds (for checks against a token's lifetime). */
export function longestGapSeconds(schedule: RotationSchedule, fromMs = Date.UTC(2030, 0, 1)): number {
  let previous = nextOpening(schedule, fromMs - 1);
  let longest = 0;
  const end = fromMs + 2 * 366 * DAY_MS;
  while (previous !== undefined && previous < end) {
    const next = nextOpening(schedule, previous);
    if (next === undefined) return Number.POSITIVE_INFINITY;
    longest = Math.max(longest, next - previous);
    previous = next;
  }
  return longest / 1000;
}

function dayMatches(schedule: RotationSchedule, dayStartMs: number): boolean {
  const date = new Date(dayStartMs);
  const month = date.getUTCMonth() + 1;
  if (!schedule.months.has(month)) return false;
  const rule = schedule.days;
  const dom = date.getUTCDate();
  const lastDom = new Date(Date.UTC(date.getUTCFullYear(), month, 0)).getUTCDate();
  switch (rule.kind) {
    case 'any':
      return true;
    case 'days-of-month':
      return rule.days.has(dom) || (rule.last && dom === lastDom);
    case 'days-of-week': {
      const dow = date.getUTCDay() + 1; // AWS: 1 = Sunday
      if (rule.days.has(dow)) return true;
      if (rule.last.has(dow) && dom + 7 > lastDom) return true;
      return rule.nth.some((x) => x.day === dow && Math.ceil(dom / 7) === x.n);
    }
  }
}

interface Shape {
  hours: number[];
  months: ReadonlySet<number>;
  days: DayRule;
  defaultWindowHours: number;
}

const ALL_MONTHS: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function parseExpression(expression: string, fail: (problem: string) => never): Shape {
  const rate = /^rate\((.*)\)$/.exec(expression);
  if (rate) {
    const m = /^\s*(\d+)\s+(hour|hours|day|days)\s*$/.exec(rate[1] as string);
    if (!m) fail(`expected rate(<N> hours) or rate(<N> days), got ${JSON.stringify(expression)}`);
    const n = Number(m?.[1]);
    if (m?.[2]?.startsWith('hour')) {
      if (n < MIN_WINDOW_GAP_HOURS) fail(`expected at least rate(${MIN_WINDOW_GAP_HOURS} hours) (Secrets Manager rotates at most every ${MIN_WINDOW_GAP_HOURS} hours), got ${JSON.stringify(expression)}`);
      if (n > 999 * 24) fail(`expected at most 999 days, got ${JSON.stringify(expression)}`);
      const hours = n >= 24 ? [0] : Array.from({ length: Math.ceil(24 / n) }, (_, i) => i * n);
      return { hours, months: ALL_MONTHS, days: { kind: 'any' }, defaultWindowHours: 1 };
    }
    if (n < 1 || n > 999) fail(`expected rate(<N> days) with N from 1 to 999, got ${JSON.stringify(expression)}`);
    return { hours: [0], months: ALL_MONTHS, days: { kind: 'any' }, defaultWindowHours: 24 };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) fail(`expected rate(...) or cron(...), got ${JSON.stringify(expression)}`);
  const fields = (cron?.[1] as string).trim().split(/\s+/);
  if (fields.length !== 6) fail(`expected six cron fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`);
  const [minutes, hourField, domField, monthField, dowField, year] = fields as [string, string, string, string, string, string];
  if (minutes !== '0') fail(`minutes: expected 0 (Secrets Manager's rotation windows open on the hour), got ${JSON.stringify(minutes)}`);
  if (year !== '*') fail(`year: expected * (Secrets Manager does not rotate on schedules more than a year apart), got ${JSON.stringify(year)}`);
  const hours = [...numbers(hourField, 0, 23, 'hours', [], fail)].sort((a, b) => a - b);
  const months = numbers(monthField, 1, 12, 'month', MONTH_NAMES, fail);
  const domAny = domField === '?';
  const dowAny = dowField === '?';
  if (domAny === dowAny) fail('expected ? in exactly one of day-of-month and day-of-week');
  let days: DayRule;
  if (!domAny) {
    if (domField === '*') days = { kind: 'any' };
    else {
      const parts = domField.split(',');
      const last = parts.includes('L');
      const rest = parts.filter((p) => p !== 'L');
      days = { kind: 'days-of-month', days: rest.length ? numbers(rest.join(','), 1, 31, 'day-of-month', [], fail) : new Set(), last };
    }
  } else if (dowField === '*') {
    days = { kind: 'any' };
  } else {
    days = parseDaysOfWeek(dowField, fail);
  }
  return { hours, months, days, defaultWindowHours: hours.length > 1 ? 1 : 24 - (hours[0] as number) };
}

function parseDaysOfWeek(field: string, fail: (problem: string) => never): DayRule {
  const plain: string[] = [];
  const last = new Set<number>();
  const nth: Array<{ day: number; n: number }> = [];
  const day = (token: string) => {
    const value = nameOrNumber(token, DAY_NAMES, 1);
    if (value === undefined || value < 1 || value > 7) fail(`day-of-week: expected 1-7 or SUN-SAT, got ${JSON.stringify(token)}`);
    return value as number;
  };
  for (const part of field.split(',')) {
    if (part === 'L') last.add(7); // Quartz: L alone is the last day of the week, Saturday
    else if (/^[^#]+L$/.test(part)) last.add(day(part.slice(0, -1)));
    else if (part.includes('#')) {
      const [d, n] = part.split('#');
      const k = Number(n);
      if (!Number.isInteger(k) || k < 1 || k > 5) fail(`day-of-week: expected <day>#<1-5>, got ${JSON.stringify(part)}`);
      nth.push({ day: day(d as string), n: k });
    } else plain.push(part);
  }
  return { kind: 'days-of-week', days: plain.length ? numbers(plain.join(','), 1, 7, 'day-of-week', DAY_NAMES, fail, 1) : new Set(), last, nth };
}

/** A cron field of `,`-separated values, `a-b` ranges, `*` and `/step`s, as numbers from `min` to `max`. */
function numbers(field: string, min: number, max: number, name: string, names: string[], fail: (problem: string) => never, nameBase = 1): Set<number> {
  const out = new Set<number>();
  const value = (token: string) => {
    const v = nameOrNumber(token, names, nameBase);
    if (v === undefined || v < min || v > max) fail(`${name}: expected ${min}-${max}${names.length ? ` or ${names[0]}-${names[names.length - 1]}` : ''}, got ${JSON.stringify(token)}`);
    return v as number;
  };
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) fail(`${name}: expected a positive step after /, got ${JSON.stringify(part)}`);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [min, max];
    else if (range?.includes('-')) {
      const [a, b] = range.split('-');
      [from, to] = [value(a as string), value(b as string)];
      if (from > to) fail(`${name}: expected a range low-high, got ${JSON.stringify(part)}`);
    } else {
      from = value(range as string);
      to = stepText === undefined ? from : max;
    }
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

function nameOrNumber(token: string, names: string[], base: number): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  const i = names.indexOf(token.toUpperCase());
  return i >= 0 ? i + base : undefined;
}
