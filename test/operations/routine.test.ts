/**
 * What holds a due secret's routine work back (core/operations/routine.ts): a pause or its rotation
 * window, and the renewal that goes ahead anyway because the token would expire first.
 */
import { describe, expect, it } from 'vitest';
import { PAUSED_TAG } from '../../core/names.js';
import { formatPause } from '../../core/operations/records.js';
import { routineDecision, secretWindow, type RoutineInput } from '../../core/operations/routine.js';
import type { TokenSecret } from '../../core/secrets/token-secret.js';

const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
/** Sweeps every 15 minutes: a token is renewed whatever holds it back when it has two sweeps (1,800 s) or less left. */
const settings = { sweepIntervalSeconds: 900 };
/** A window from 02:00 to 04:00 UTC: at NOW it opens in 7,200 s. */
const schedule = { scheduleExpression: 'cron(0 2 * * ? *)', duration: '2h' };
const OPENS = iso(NOW + 7_200_000);
const UNTIL = iso(NOW + 86_400_000);

function secret(fields: { left?: number | null; token?: boolean; schedule?: boolean } = {}): TokenSecret {
  const expiresAt = fields.left === undefined ? undefined : fields.left === null ? null : iso(NOW + fields.left * 1000);
  return {
    host: 'https://tg.example.com',
    credentialSecretId: 'c',
    ...(fields.token === false ? {} : { token: 't' }),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(fields.schedule ? { rotationSchedule: schedule } : {}),
  } as unknown as TokenSecret;
}

const paused = (reason = 'db migration') => ({ [PAUSED_TAG]: formatPause({ reason, pausedAt: iso(NOW - 60_000), until: UNTIL }) });

function decide(over: Partial<RoutineInput>) {
  return routineDecision({ secret: secret({ left: 86_400 }), tags: {}, refreshDue: true, settleDue: false, settings, now: NOW, ...over });
}

describe('routineDecision: nothing holds the work back', () => {
  it('without a pause or a schedule, due work is done as due, and nothing else is said', () => {
    expect(decide({ refreshDue: true, settleDue: false })).toEqual({ renew: true, settle: false });
    expect(decide({ refreshDue: false, settleDue: true })).toEqual({ renew: false, settle: true });
  });

  it('inside the window: the work is done, and the open window reported', () => {
    const d = decide({ secret: secret({ left: 86_400, schedule: true }), now: NOW + 9_000_000, settleDue: true });
    expect(d).toEqual({ renew: true, settle: true, window: { open: true, opensAt: new Date(OPENS), closesAt: new Date(NOW + 14_400_000) } });
  });

  it('a pause that has ended holds nothing back', () => {
    expect(decide({ tags: paused(), now: Date.parse(UNTIL) })).toEqual({ renew: true, settle: false });
  });
});

describe('routineDecision: paused', () => {
  const why = `paused until ${UNTIL} (db migration)`;

  it('a renewal with time to spare waits, and says why', () => {
    const d = decide({ tags: paused(), secret: secret({ left: 1_801 }) });
    expect(d).toEqual({ renew: false, settle: false, heldBack: 'paused', reason: `renewal held back: ${why}`, pause: { reason: 'db migration', pausedAt: iso(NOW - 60_000), until: UNTIL } });
  });

  it('revokes wait too, however close the token is to expiring; both named when both wait', () => {
    expect(decide({ tags: paused(), refreshDue: false, settleDue: true, secret: secret({ left: 60 }) })).toMatchObject({ renew: false, settle: false, reason: `revoke held back: ${why}` });
    expect(decide({ tags: paused(), settleDue: true })).toMatchObject({ renew: false, settle: false, reason: `renewal and revoke held back: ${why}` });
  });

  it('nothing due: held back, with no reason and no override', () => {
    const d = decide({ tags: paused(), refreshDue: false, secret: secret({ left: 60 }) });
    expect(d).toMatchObject({ renew: false, settle: false, heldBack: 'paused' });
    expect(d).not.toHaveProperty('reason');
    expect(d).not.toHaveProperty('override');
  });

  it('a pause without a reason says so', () => {
    expect(decide({ tags: paused('') }).reason).toBe(`renewal held back: paused until ${UNTIL} (no reason given)`);
  });

  it('a token with two sweeps or less left is renewed anyway, and the override says when it expires', () => {
    const d = decide({ tags: paused(), secret: secret({ left: 1_800 }) });
    expect(d).toMatchObject({ renew: true, settle: false, heldBack: 'paused', override: `${why}, but the token expires at ${iso(NOW + 1_800_000)}, before two more sweeps could renew it` });
    expect(d).not.toHaveProperty('reason');
    expect(decide({ tags: paused(), secret: secret({ left: 1_800 }), settleDue: true }).reason).toBe(`revoke held back: ${why}`);
  });

  it('a token of unknown expiry is renewed anyway; one that never expires waits', () => {
    expect(decide({ tags: paused(), secret: secret({}) })).toMatchObject({ renew: true, override: `${why}, but the secret holds no token with a known expiry` });
    expect(decide({ tags: paused(), secret: secret({ token: false, left: 60 }) })).toMatchObject({ renew: true, override: `${why}, but the secret holds no token with a known expiry` });
    expect(decide({ tags: paused(), secret: secret({ left: null }) })).toMatchObject({ renew: false, reason: `renewal held back: ${why}` });
  });

  it('a pause outside the window is a pause: its renewals wait until two sweeps before expiry, not until the window', () => {
    const d = decide({ tags: paused(), secret: secret({ left: 5_000, schedule: true }) });
    expect(d).toMatchObject({ renew: false, heldBack: 'paused', window: { open: false, opensAt: new Date(OPENS) } });
  });
});

describe('routineDecision: outside the rotation window', () => {
  const why = `outside its rotation window (the next opens at ${OPENS})`;

  it('a token that lasts past the window and two more sweeps waits for the window', () => {
    const d = decide({ secret: secret({ left: 9_001, schedule: true }), settleDue: true });
    expect(d).toMatchObject({ renew: false, settle: false, heldBack: 'outside-window', reason: `renewal and revoke held back: ${why}` });
    expect(d).not.toHaveProperty('pause');
    expect(d).not.toHaveProperty('override');
  });

  it('a token that would expire before the window and two more sweeps is renewed now', () => {
    expect(decide({ secret: secret({ left: 9_000, schedule: true }) })).toMatchObject({
      renew: true,
      heldBack: 'outside-window',
      override: `${why}, but the token expires at ${iso(NOW + 9_000_000)}, before that window and two more sweeps`,
    });
    expect(decide({ secret: secret({ left: 1_000, schedule: true }) }).override).toBe(`${why}, but the token expires at ${iso(NOW + 1_000_000)}, before two more sweeps could renew it`);
  });
});

describe('secretWindow', () => {
  it('none without a schedule; the next window, closed, before it opens; the open one inside it', () => {
    expect(secretWindow(secret({}), NOW)).toBeUndefined();
    expect(secretWindow(secret({ schedule: true }), NOW)).toEqual({ open: false, opensAt: new Date(OPENS), closesAt: new Date(NOW + 14_400_000) });
    expect(secretWindow(secret({ schedule: true }), NOW + 7_200_000)?.open).toBe(true);
  });
});
