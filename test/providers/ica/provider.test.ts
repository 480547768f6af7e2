/** The ica provider as the core opens it: through the registry, with the context's clock. */
import { describe, expect, it } from 'vitest';
import { RefreshUnsupportedError } from '../../../core/errors.js';
import { ICA_ACCEPT } from '../../../core/providers/ica/index.js';
import { providerDefinition } from '../../../core/providers/registry.js';
import { API_KEY, ALICE, claims, FAST, USERS, useFakeIca, type Fake } from './helpers.js';

const start = useFakeIca();
const purpose = { secretName: 'ica/token', versionId: 'v-1' };

function open(fake: Fake, credentials: unknown, extra: Record<string, unknown> = {}) {
  const definition = providerDefinition('ica');
  const config = definition.parseConfig({ host: fake.url, allowInsecureHttp: true, ...extra }, 'token secret ica/token');
  const parsed = definition.parseCredentials(credentials, 'credential secret ica/cred');
  return definition.open(config, parsed, { clock: fake.clock, allowInsecureHttp: true, http: FAST });
}

describe('ica provider through the registry', () => {
  it('password mode: issue, refresh (new token, later expiry), verify; Accept on every call', async () => {
    const fake = await start();
    const provider = open(fake, { username: ALICE, password: USERS[ALICE] });
    expect((await provider.capabilities()).refresh).toBe('new-token-retiring');
    const issued = await provider.issue({ purpose });
    fake.clock.advance(600);
    const next = await provider.refresh({ token: issued.token, fields: {}, expiresAt: issued.expiresAt }, {});
    expect(next.token).not.toBe(issued.token);
    expect(next.expiresAt!.getTime()).toBeGreaterThan(issued.expiresAt!.getTime());
    expect(await provider.verify({ token: next.token, fields: {} })).toBe(true);
    expect(fake.requests().map((r) => r.op)).toEqual(['create', 'refresh', 'regions']);
    expect(fake.requests().every((r) => r.accept === ICA_ACCEPT)).toBe(true);
  });

  it('API-key mode: refresh none, and a refresh call is refused without a request', async () => {
    const fake = await start();
    const provider = open(fake, { apiKey: API_KEY });
    expect(await provider.capabilities()).toMatchObject({ refresh: 'none', revoke: 'none', tokensMayCollide: true });
    const issued = await provider.issue({ purpose });
    fake.resetStats();
    await expect(provider.refresh({ token: issued.token, fields: {} }, {})).rejects.toBeInstanceOf(RefreshUnsupportedError);
    expect(fake.stats().total).toBe(0);
  });

  it('the token secret\'s tenant reaches the server; lifetimeSeconds is the no-exp fallback only', async () => {
    const fake = await start({ tenants: { [ALICE]: ['t1', 't2'] } });
    const provider = open(fake, { username: ALICE, password: USERS[ALICE] }, { tenant: 't2' });
    const issued = await provider.issue({ purpose, lifetimeSeconds: 60 });
    expect(claims(issued.token).tenant).toBe('t2');
    expect(issued.expiresAt!.getTime()).toBe((claims(issued.token).exp as number) * 1000);
  });

  it('two secrets minting in the same second get the same JWT, which is why tokensMayCollide is true', async () => {
    const fake = await start();
    const a = open(fake, { apiKey: API_KEY });
    const b = open(fake, { apiKey: API_KEY });
    const [x, y] = await Promise.all([a.issue({ purpose }), b.issue({ purpose: { ...purpose, secretName: 'other' } })]);
    expect(x.token).toBe(y.token);
    expect((await a.capabilities()).tokensMayCollide).toBe(true);
  });
});
