/**
 * Issue 22, skew-proof time: every token server's clock 10 minutes ahead of the functions', then
 * 10 minutes behind, for every provider variant (TigerGraph 3.x and 4.x, Trifacta, ICA with an
 * API key and with a password), through the real handlers. The stored expiry, `status`, the
 * refresh point and testSecret's "expired" decision all count the lifetime the server issued (exp
 * against iat, a creation instant, or the answer's Date header) on the functions' clock:
 *   - a short-lived (300 s) token is stored as expiring 300 s from our now, and status says so
 *     (read off the server's exp, 10 minutes ahead it would claim 900 s; behind, it would have
 *     expired before testSecret, which would abandon it);
 *   - the sweep renews it once it is really due, not 10 minutes late.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentClock, OffsetClock } from '../../core/clock.js';
import type { LocalStack, TokenSecretOptions } from '../../local/stack.js';
import { invoke, putSettings, startStack, sweepSettled } from './helpers.js';

const LIFETIME = 300;

/** The fakes' clock: the functions' clock (the stack's, whatever tests do to it) plus a skew the tests set. */
class SkewedClock extends OffsetClock {
  skewMs = 0;
  override now(): number {
    return currentClock().now() + this.skewMs;
  }
}

const VARIANTS: Array<[string, TokenSecretOptions]> = [
  ['tigergraph 3.x', { version: 3 }],
  ['tigergraph 4.x', { version: 4 }],
  ['trifacta', { provider: 'trifacta' }],
  ['ica (API key)', { provider: 'ica' }],
  ['ica (password)', { provider: 'ica', icaMode: 'password' }],
];

// One stack for both skews: the handlers' settings middleware keeps its endpoint per process.
const skewed = new SkewedClock();
let stack: LocalStack;
let counter = 0;
beforeAll(async () => {
  stack = await startStack(
    // ICA's JWT lifetime is the tenant's: 300 s here, as the other providers are asked for.
    { tigergraph3: { clock: skewed }, tigergraph4: { clock: skewed }, trifacta: { clock: skewed }, ica: { clock: skewed, jwtLifetimeSeconds: LIFETIME } },
    { TG_HTTP_TIMEOUT_MS: '2000' },
  );
  await putSettings(stack, { refreshBeforeSeconds: 3 * 86_400, revokeGraceSeconds: 3600, concurrency: 4, newTokenPatienceSeconds: 0 });
});
afterAll(async () => {
  await stack?.close();
});

describe.each([
  ['10 minutes ahead', 600_000],
  ['10 minutes behind', -600_000],
])('token servers %s of the functions', (_name, skewMs) => {
  beforeAll(() => {
    skewed.skewMs = skewMs;
  });
  afterAll(() => {
    skewed.skewMs = 0;
  });

  const value = async (arn: string) => JSON.parse((await stack.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString!) as Record<string, string>;

  it.each(VARIANTS)('%s: the token is stored, and reported, as living the lifetime the server issued from our now; the sweep renews it once really due', async (_v, options) => {
    const arn = await stack.createTokenSecret(`skew/${skewMs}/${++counter}`, { ...options, fields: { lifetimeSeconds: LIFETIME } });
    // The first rotation finished: a token 10 minutes behind would have been taken for expired by testSecret.
    expect(stack.aws.lastRotationError(arn)?.message).toBeUndefined();
    const first = await value(arn);
    const lifetime = (Date.parse(first.expiresAt!) - Date.parse(first.issuedAt!)) / 1000;
    // TigerGraph 4.x asks for the lifetime less a random offset under a minute (mints.ts).
    expect(lifetime).toBeGreaterThan(LIFETIME - 61);
    expect(lifetime).toBeLessThanOrEqual(LIFETIME + 1);
    const left = (Date.parse(first.expiresAt!) - stack.clock.now()) / 1000;
    expect(Math.abs(left - lifetime)).toBeLessThan(10);
    const status = (await invoke.onDemand({ action: 'status', secretId: arn })) as { secondsLeft: number };
    expect(Math.abs(status.secondsLeft - lifetime)).toBeLessThan(10);

    // Not due yet (more than half the lifetime left): the sweep leaves it alone.
    expect(await sweepSettled(stack, { secretIds: [arn] })).toMatchObject({ refreshed: 0, rotationsStarted: 0, failed: [] });
    // Due (under half left, by the server's own count): renewed now, not 10 minutes later.
    stack.clock.advance(Math.ceil(lifetime / 2) + 20);
    const renewed = await sweepSettled(stack, { secretIds: [arn] });
    expect(renewed.refreshed + renewed.rotationsStarted).toBe(1);
    expect(renewed.failed).toEqual([]);
    const second = await value(arn);
    expect(Date.parse(second.expiresAt!) - stack.clock.now()).toBeGreaterThan((LIFETIME - 70) * 1000);
  });
});
