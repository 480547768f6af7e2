/** Shared setup for the ICA tests: fakes that close themselves after each test, credentials, assertions. */
import { expect } from 'vitest';
import type { Clock } from '../../../core/clock.js';
import { basicCredential } from '../../../core/http/transport.js';
import { decodeIcaClaims, IcaClient, type IcaClientOptions, type IcaConfig, type IcaCredentials } from '../../../core/providers/ica/index.js';
import { startFakeIca, type FakeIca, type FakeIcaOptions } from '../../../local/fakes/ica/index.js';
import { closedAfterEach } from '../../helpers/fakes.js';

export { rejection } from '../../helpers/fakes.js';

export const API_KEY = 'icak-7Rk2Qv9Xz4Lm8Np3Ws6Td1Yb5Hc0Jf';
export const ALICE = 'alice@example.com';
export const MULTI = 'multi@example.com';
export const SSO = 'sso@example.com';
export const USERS = { [ALICE]: 'alice-Pa55word!', [MULTI]: 'multi-Pa55word!', [SSO]: 'sso-Pa55word!' };
export const TENANTS = { [MULTI]: ['lab-a', 'lab-b'], [ALICE]: ['alice-lab'] };

export const KEY: IcaCredentials = { apiKey: API_KEY };
export const PASSWORD: IcaCredentials = { username: ALICE, password: USERS[ALICE] };
export const MULTI_PASSWORD: IcaCredentials = { username: MULTI, password: USERS[MULTI] };

/** Every credential value a message must never show. */
export const SECRETS: readonly string[] = [
  API_KEY,
  ...Object.values(USERS),
  ...Object.entries(USERS).map(([u, p]) => basicCredential(u, p)),
];

/** Fast settings so retry and timeout tests stay well under a second each. */
export const FAST: IcaClientOptions = { timeoutMs: 2_000, maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

/** A clock that stands still unless advanced: JWTs minted "now" share their second. */
export class FixedClock implements Clock {
  constructor(private ms = Date.UTC(2026, 0, 15, 10, 0, 0, 250)) {}
  now(): number {
    return this.ms;
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export type Fake = FakeIca<Clock & { advance(seconds: number): void }>;

/** Registers per-test cleanup; call at the top of a file or describe. The fake's clock is a FixedClock unless given. */
export function useFakeIca(): (options?: FakeIcaOptions<Clock & { advance(seconds: number): void }>) => Promise<Fake> {
  return closedAfterEach(
    (options: FakeIcaOptions<Clock & { advance(seconds: number): void }> = {}): Promise<Fake> =>
      startFakeIca({
        apiKeys: { [API_KEY]: ALICE },
        users: USERS,
        tenants: TENANTS,
        ssoUsers: [SSO],
        clock: new FixedClock(),
        ...options,
      }),
  );
}

export function configFor(fake: { url: string }, extra: Partial<IcaConfig> = {}): IcaConfig {
  return { host: fake.url, allowInsecureHttp: true, ...extra };
}

/** A client on the fake's clock (so expiry checks agree with the server) and FAST settings. */
export function clientFor(fake: Fake, credentials: IcaCredentials, extra: Partial<IcaConfig> = {}, options: IcaClientOptions = {}): IcaClient {
  return new IcaClient(configFor(fake, extra), credentials, { ...FAST, clock: fake.clock, ...options });
}

export function claims(token: string): { exp?: number; iat?: number; sub?: string; tenant?: string } {
  const c = decodeIcaClaims(token);
  if (!c) throw new Error('not a JWT');
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { tenant?: string };
  return { ...c, ...(payload.tenant !== undefined ? { tenant: payload.tenant } : {}) };
}

/** Asserts that neither the message nor any string field of the error holds a credential or one of `tokens`. */
export function expectClean(error: Error, tokens: readonly string[] = []): void {
  const texts = [error.message, ...Object.values(error).filter((v): v is string => typeof v === 'string')];
  for (const text of texts) {
    for (const value of [...SECRETS, ...tokens]) expect(text).not.toContain(value);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/);
  }
}
