/** Rotation schedules in Secrets Manager's form: what is accepted, what is refused (naming the field), and the windows. */
import { describe, expect, it } from 'vitest';
import { longestGapSeconds, parseRotationSchedule, windowAt } from '../../core/rotation-schedule.js';
import { parseTokenSecret } from '../../core/secrets/token-secret.js';

const HOUR = 3_600_000;
/** Wednesday 2026-03-04 10:30 UTC. */
const WED = Date.UTC(2026, 2, 4, 10, 30);
const window = (scheduleExpression: string, duration?: string, at = WED) => {
  const w = windowAt(parseRotationSchedule({ scheduleExpression, ...(duration ? { duration } : {}) }), at)!;
  return { open: w.open, opensAt: w.opensAt.toISOString(), closesAt: w.closesAt.toISOString() };
};

describe('rotation windows', () => {
  it('cron: the hours, days of week (1 = Sunday), last day, nth and last weekday of the month, in UTC', () => {
    expect(window('cron(0 2 ? * SUN *)', '4h')).toEqual({ open: false, opensAt: '2026-03-08T02:00:00.000Z', closesAt: '2026-03-08T06:00:00.000Z' });
    expect(window('cron(0 10 ? * 4 *)', '1h')).toEqual({ open: true, opensAt: '2026-03-04T10:00:00.000Z', closesAt: '2026-03-04T11:00:00.000Z' });
    expect(window('cron(0 16 L * ? *)').opensAt).toBe('2026-03-31T16:00:00.000Z');
    expect(window('cron(0 16 L * ? *)').closesAt).toBe('2026-04-01T00:00:00.000Z'); // a single hour: until the end of the day
    expect(window('cron(0 0 ? * 6#3 *)').opensAt).toBe('2026-03-20T00:00:00.000Z'); // third Friday
    expect(window('cron(0 8 ? * 6L *)').opensAt).toBe('2026-03-27T08:00:00.000Z'); // last Friday
    expect(window('cron(0 4/12 * * ? *)', '2h')).toEqual({ open: false, opensAt: '2026-03-04T16:00:00.000Z', closesAt: '2026-03-04T18:00:00.000Z' });
    expect(window('cron(0 9 1-7 JAN,MAR ? *)', '1h').opensAt).toBe('2026-03-05T09:00:00.000Z');
    expect(window('cron(0 9 1-3 JAN,MAR ? *)', '1h').opensAt).toBe('2027-01-01T09:00:00.000Z');
  });

  it('rate: every N hours from midnight (1 hour by default), every day from midnight (the whole day by default)', () => {
    expect(window('rate(6 hours)')).toEqual({ open: false, opensAt: '2026-03-04T12:00:00.000Z', closesAt: '2026-03-04T13:00:00.000Z' });
    expect(window('rate(10 days)').open).toBe(true);
    expect(window('rate(1 day)', '2h')).toEqual({ open: false, opensAt: '2026-03-05T00:00:00.000Z', closesAt: '2026-03-05T02:00:00.000Z' });
  });

  it('the longest gap between windows, for checks against a token lifetime', () => {
    expect(longestGapSeconds(parseRotationSchedule({ scheduleExpression: 'cron(0 2 ? * SUN *)' }))).toBe(7 * 24 * 3600);
    expect(longestGapSeconds(parseRotationSchedule({ scheduleExpression: 'rate(6 hours)' }))).toBe(6 * 3600);
    expect(longestGapSeconds(parseRotationSchedule({ scheduleExpression: 'cron(0 16 L * ? *)' }))).toBe(31 * 24 * 3600);
  });

  it.each([
    ['cron(30 2 * * ? *)', undefined, 'rotationSchedule.scheduleExpression', /minutes: expected 0/],
    ['cron(0 2 * * SUN *)', undefined, 'rotationSchedule.scheduleExpression', /\? in exactly one of day-of-month and day-of-week/],
    ['cron(0 2 ? * SUN 2027)', undefined, 'rotationSchedule.scheduleExpression', /year: expected \*/],
    ['cron(0 0,2 * * ? *)', undefined, 'rotationSchedule.scheduleExpression', /at least 4 hours apart/],
    ['cron(0 25 * * ? *)', undefined, 'rotationSchedule.scheduleExpression', /hours: expected 0-23/],
    ['cron(0 2 ? * 9 *)', undefined, 'rotationSchedule.scheduleExpression', /day-of-week: expected 1-7/],
    ['cron(0 2 31 2 ? *)', undefined, 'rotationSchedule.scheduleExpression', /matches no day/],
    ['cron(0 2 * * ?)', undefined, 'rotationSchedule.scheduleExpression', /six cron fields/],
    ['rate(2 hours)', undefined, 'rotationSchedule.scheduleExpression', /at least rate\(4 hours\)/],
    ['rate(1000 days)', undefined, 'rotationSchedule.scheduleExpression', /N from 1 to 999/],
    ['every sunday', undefined, 'rotationSchedule.scheduleExpression', /expected rate\(\.\.\.\) or cron\(\.\.\.\)/],
    ['cron(0 22 * * ? *)', '4h', 'rotationSchedule.duration', /at most 2h/],
    ['cron(0 4/6 * * ? *)', '8h', 'rotationSchedule.duration', /at most 6h: a window must close before the next one opens/],
    ['cron(0 2 * * ? *)', '4 hours', 'rotationSchedule.duration', /whole hours from 1h to 24h/],
  ])('refuses %s (duration %s), naming %s', (scheduleExpression, duration, field, message) => {
    const parse = () => parseRotationSchedule({ scheduleExpression, ...(duration ? { duration } : {}) });
    expect(parse).toThrow(message);
    expect(parse).toThrow(expect.objectContaining({ name: 'ValidationError', field }));
  });

  it('a token secret with a malformed schedule fails its parse naming the field, once', () => {
    const secret = (rotationSchedule: unknown) => JSON.stringify({ host: 'https://tg.example.com', credentialSecretId: 'c', rotationSchedule });
    expect(parseTokenSecret(secret({ scheduleExpression: 'cron(0 3 ? * MON *)', duration: '2h' })).rotationSchedule).toEqual({ scheduleExpression: 'cron(0 3 ? * MON *)', duration: '2h' });
    expect(() => parseTokenSecret(secret({ scheduleExpression: 'cron(5 3 ? * MON *)' }))).toThrow(
      expect.objectContaining({ field: 'rotationSchedule.scheduleExpression', message: 'token secret is invalid: rotationSchedule.scheduleExpression: minutes: expected 0 (Secrets Manager\'s rotation windows open on the hour), got "5"' }),
    );
    expect(() => parseTokenSecret(secret({ scheduleExpression: 'rate(1 day)', window: '2h' }))).toThrow(/rotationSchedule: unexpected field\(s\) window/);
  });

  it('opens at the start of the hour and closes at its end (the window is half-open)', () => {
    const s = parseRotationSchedule({ scheduleExpression: 'cron(0 10 ? * 4 *)', duration: '1h' });
    expect(windowAt(s, Date.UTC(2026, 2, 4, 10))?.open).toBe(true);
    expect(windowAt(s, Date.UTC(2026, 2, 4, 11))?.open).toBe(false);
    expect(windowAt(s, Date.UTC(2026, 2, 4, 11))?.opensAt.getTime()).toBe(Date.UTC(2026, 2, 4, 10) + 7 * 24 * HOUR);
  });
});

describe('parseRotationSchedule: the duration and the gaps between windows (issue 25)', () => {
  const refusal = (input: { scheduleExpression: string; duration?: string }) => {
    try {
      parseRotationSchedule(input);
    } catch (e) {
      return e as Error & { field?: string };
    }
    throw new Error('accepted');
  };

  it('a duration is whole hours from 1h to 24h, written "<N>h" and nothing else; kept as given', () => {
    expect(parseRotationSchedule({ scheduleExpression: 'rate(1 day)', duration: '1h' }).windowHours).toBe(1);
    expect(parseRotationSchedule({ scheduleExpression: 'rate(1 day)', duration: '24h' })).toMatchObject({ windowHours: 24, duration: '24h' });
    expect(parseRotationSchedule({ scheduleExpression: 'rate(1 day)', duration: '12h' }).windowHours).toBe(12);
    expect(parseRotationSchedule({ scheduleExpression: 'rate(1 day)' })).not.toHaveProperty('duration');
    for (const duration of ['0h', '25h', '100h', 'x4h', '4hours', '4', '4H ', ' 4h']) {
      const e = refusal({ scheduleExpression: 'rate(1 day)', duration });
      expect(e.field, duration).toBe('rotationSchedule.duration');
      expect(e.message, duration).toBe(`rotationSchedule.duration: expected whole hours from 1h to 24h (Secrets Manager's form, e.g. "4h"), got ${JSON.stringify(duration)}`);
    }
  });

  it('windows at least 4 hours apart, the gap over midnight included; exactly 4 is allowed', () => {
    expect(parseRotationSchedule({ scheduleExpression: 'cron(0 0,4,8,12,16,20 * * ? *)' }).hours).toEqual([0, 4, 8, 12, 16, 20]);
    expect(refusal({ scheduleExpression: 'cron(0 0,3 * * ? *)' }).message).toBe(
      'rotationSchedule.scheduleExpression: expected windows at least 4 hours apart (Secrets Manager rotates at most every 4 hours), got 3 hours between two',
    );
    // 2 and 22: 20 hours apart within the day, 4 across midnight.
    expect(parseRotationSchedule({ scheduleExpression: 'cron(0 2,22 * * ? *)', duration: '2h' }).hours).toEqual([2, 22]);
    expect(refusal({ scheduleExpression: 'cron(0 1,22 * * ? *)' }).message).toContain('got 3 hours between two');
  });

  it('a window closes before the next one opens: at most the smallest gap', () => {
    expect(parseRotationSchedule({ scheduleExpression: 'cron(0 4,8 * * ? *)', duration: '4h' }).windowHours).toBe(4);
    const e = refusal({ scheduleExpression: 'cron(0 4,8 * * ? *)', duration: '5h' });
    expect(e.field).toBe('rotationSchedule.duration');
    expect(e.message).toBe('rotationSchedule.duration: expected at most 4h: a window must close before the next one opens');
  });

  it('one window a day may last until the end of the day, not past it', () => {
    expect(parseRotationSchedule({ scheduleExpression: 'cron(0 20 * * ? *)', duration: '4h' }).windowHours).toBe(4);
    expect(refusal({ scheduleExpression: 'cron(0 20 * * ? *)', duration: '5h' }).message).toBe(
      'rotationSchedule.duration: expected at most 4h: the window opening at 20:00 UTC must close by the end of the UTC day',
    );
  });
});

describe('parseRotationSchedule: the bounds of each field (issue 25)', () => {
  const problem = (scheduleExpression: string) => {
    try {
      parseRotationSchedule({ scheduleExpression });
    } catch (e) {
      return (e as Error).message.replace(/^rotationSchedule\.scheduleExpression: /, '');
    }
    return 'accepted';
  };

  it('rate in hours: from 4 hours (windows at 0:00 and every N hours that day) to 999 days', () => {
    expect(problem('rate(3 hours)')).toBe('expected at least rate(4 hours) (Secrets Manager rotates at most every 4 hours), got "rate(3 hours)"');
    expect(parseRotationSchedule({ scheduleExpression: 'rate(4 hours)' }).hours).toEqual([0, 4, 8, 12, 16, 20]);
    expect(parseRotationSchedule({ scheduleExpression: 'rate(5 hours)' }).hours).toEqual([0, 5, 10, 15, 20]);
    // 0:00 and 23:00 are an hour apart across midnight.
    expect(problem('rate(23 hours)')).toContain('got 1 hours between two');
    expect(parseRotationSchedule({ scheduleExpression: 'rate(24 hours)' }).hours).toEqual([0]);
    expect(parseRotationSchedule({ scheduleExpression: `rate(${999 * 24} hours)` }).hours).toEqual([0]);
    expect(problem(`rate(${999 * 24 + 1} hours)`)).toBe(`expected at most 999 days, got "rate(${999 * 24 + 1} hours)"`);
    expect(problem('rate(four hours)')).toBe('expected rate(<N> hours) or rate(<N> days), got "rate(four hours)"');
  });

  it('day-of-week: 1-7 or SUN-SAT, L alone (Saturday), <day>L, <day>#1 to #5', () => {
    expect(problem('cron(0 2 ? * 0 *)')).toBe('day-of-week: expected 1-7 or SUN-SAT, got "0"');
    expect(problem('cron(0 2 ? * 8 *)')).toBe('day-of-week: expected 1-7 or SUN-SAT, got "8"');
    expect(problem('cron(0 2 ? * 1,7 *)')).toBe('accepted');
    expect(problem('cron(0 2 ? * 0L *)')).toBe('day-of-week: expected 1-7 or SUN-SAT, got "0"');
    expect(problem('cron(0 2 ? * 8L *)')).toBe('day-of-week: expected 1-7 or SUN-SAT, got "8"');
    expect(problem('cron(0 2 ? * 6#0 *)')).toBe('day-of-week: expected <day>#<1-5>, got "6#0"');
    expect(problem('cron(0 2 ? * 6#6 *)')).toBe('day-of-week: expected <day>#<1-5>, got "6#6"');
    expect(problem('cron(0 2 ? * 6#x *)')).toBe('day-of-week: expected <day>#<1-5>, got "6#x"');
    expect(problem('cron(0 2 ? * 6#1,6#5 *)')).toBe('accepted');
    expect(problem('cron(0 2 ? * 0#2 *)')).toBe('day-of-week: expected 1-7 or SUN-SAT, got "0"');
  });

  it('a range is low-high (one value allowed), each end within the field, named in the message with the names it takes', () => {
    expect(problem('cron(0 5-3 * * ? *)')).toBe('hours: expected a range low-high, got "5-3"');
    expect(parseRotationSchedule({ scheduleExpression: 'cron(0 3-3 * * ? *)' }).hours).toEqual([3]);
    expect(problem('cron(0 24 * * ? *)')).toBe('hours: expected 0-23, got "24"');
    expect(problem('cron(0 2 * 13 ? *)')).toBe('month: expected 1-12 or JAN-DEC, got "13"');
    expect(problem('cron(0 2 * FOO ? *)')).toBe('month: expected 1-12 or JAN-DEC, got "FOO"');
    expect(problem('cron(0 2 ? * MON-FOO *)')).toBe('day-of-week: expected 1-7 or SUN-SAT, got "FOO"');
  });
});
