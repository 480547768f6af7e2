import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import { NO_EXP_MESSAGE } from '../../../core/providers/ica/index.js';
import { claims, clientFor, FixedClock, KEY, PASSWORD, rejection, useFakeIca } from './helpers.js';

const start = useFakeIca();

describe('ICA expiry', () => {
  it('is the lifetime the server issued (exp against iat), counted on our clock, not lifetimeSeconds (issue 22)', async () => {
    const fake = await start({ jwtLifetimeSeconds: 8 * 3600 });
    fake.clock.advance(5 * 3600);
    // Our clock is five hours behind the server's and we "configured" one hour: the JWT lives 8 hours from our now.
    const ours = new FixedClock();
    const client = clientFor(fake, KEY, {}, { clock: ours });
    const issued = await client.createToken(3600);
    const c = claims(issued.token);
    expect((c.exp as number) - (c.iat as number)).toBe(8 * 3600);
    const skew = (c.iat as number) * 1000 - ours.now();
    expect(issued.expiresAt?.getTime()).toBe((c.exp as number) * 1000 - skew);
    expect(issued.issuedAt.getTime()).toBe((c.iat as number) * 1000 - skew);
    expect(Math.abs(issued.expiresAt!.getTime() - (ours.now() + 8 * 3_600_000))).toBeLessThan(1_000);
  });

  it('a tenant whose clock agrees with ours (within 2 s): exp and iat exactly as the JWT says', async () => {
    const fake = await start({ jwtLifetimeSeconds: 8 * 3600 });
    const issued = await clientFor(fake, KEY, {}, { clock: fake.clock }).createToken();
    const c = claims(issued.token);
    expect(issued.expiresAt?.getTime()).toBe((c.exp as number) * 1000);
    expect(issued.issuedAt.getTime()).toBe((c.iat as number) * 1000);
  });

  it('without exp, falls back to now + lifetimeSeconds (the token secret\'s)', async () => {
    const fake = await start({ quirks: { omitExp: true } });
    const ours = new FixedClock(Date.UTC(2026, 5, 1, 12, 0, 0));
    const issued = await clientFor(fake, PASSWORD, {}, { clock: ours }).createToken(7200);
    expect(claims(issued.token).exp).toBeUndefined();
    expect(issued.expiresAt?.toISOString()).toBe('2026-06-01T14:00:00.000Z');
    // issuedAt comes from iat, the server's instant, moved onto our clock (the fake's clock is not ours here).
    expect(issued.issuedAt.toISOString()).toBe('2026-06-01T12:00:00.000Z');
  });

  it('without exp and without lifetimeSeconds => ValidationError naming lifetimeSeconds', async () => {
    const fake = await start({ quirks: { omitExp: true } });
    const e = await rejection(clientFor(fake, KEY).createToken());
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).field).toBe('lifetimeSeconds');
    expect(e.message).toBe("ica: token secret: lifetimeSeconds: the JWT carries no exp claim; set lifetimeSeconds to the tenant's JWT lifetime");
    expect(e.message).toBe(NO_EXP_MESSAGE);
    // The JWT was minted; nobody holds it and it lapses on its own (ICA cannot revoke).
    expect(fake.minted).toBe(1);
  });

  it('the same holds for a refreshed JWT without exp', async () => {
    // The old JWT stays valid here, so the second refresh can reuse it after the first failed.
    const fake = await start({ quirks: { omitExp: true, refreshKeepsOldValid: true } });
    const client = clientFor(fake, PASSWORD);
    const issued = await client.createToken(3600);
    fake.clock.advance(60);
    await expect(client.refreshToken(issued.token, { expiresAt: issued.expiresAt })).rejects.toThrow(NO_EXP_MESSAGE);
    fake.clock.advance(60);
    const next = await client.refreshToken(issued.token, { expiresAt: issued.expiresAt }, 3600);
    expect(next.expiresAt?.getTime()).toBe(fake.clock.now() + 3_600_000);
  });
});
