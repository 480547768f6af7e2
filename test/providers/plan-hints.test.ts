/**
 * What a provider says from a secret's fields alone (ProviderDefinition.planHints) must agree with
 * what its opened provider says (capabilities): `plan` reports the former, and the sweep indexes
 * only the tokens whose hints say they may collide (core/operations/sweep.ts), so a hint that
 * wrongly said "cannot collide" would let a revoke hit another secret's current token.
 */
import { describe, expect, it } from 'vitest';
import { currentClock } from '../../core/clock.js';
import { providerDefinition } from '../../core/providers/registry.js';

const CASES = [
  { name: 'tigergraph 3.x', fields: { provider: 'tigergraph', host: 'https://tg.example.com', tigergraphVersion: '3' }, credentials: { secret: 's3cr3t' } },
  { name: 'tigergraph 4.x', fields: { provider: 'tigergraph', host: 'https://tg.example.com', tigergraphVersion: '4' }, credentials: { secret: 's3cr3t' } },
  { name: 'trifacta', fields: { provider: 'trifacta', host: 'https://trifacta.example.com' }, credentials: { username: 'u', password: 'p' } },
  { name: 'ica (API key)', fields: { provider: 'ica', host: 'https://ica.example.com' }, credentials: { apiKey: 'k' } },
  { name: 'ica (password)', fields: { provider: 'ica', host: 'https://ica.example.com' }, credentials: { username: 'u@example.com', password: 'p' } },
] as const;

describe('plan hints agree with the provider', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s: renew, revoke and tokensMayCollide as its capabilities say', async (_name, c) => {
    const definition = providerDefinition(c.fields.provider);
    const secret = { ...c.fields, token: 't', expiresAt: null, credentialSecretId: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:c-AbCdEf' };
    const hints = definition.planHints?.(secret);
    const provider = definition.open(definition.parseConfig(secret as never, 'test'), definition.parseCredentials(c.credentials, 'test'), { clock: currentClock(), allowInsecureHttp: false });
    const capabilities = await provider.capabilities();
    expect(hints?.tokensMayCollide).toBe(capabilities.tokensMayCollide);
    expect(hints?.revoke === 'none').toBe(capabilities.revoke === 'none');
    expect(hints?.revoke === 'long-lived-only').toBe(capabilities.routineRevoke === 'long-lived-only');
  });

  it('TigerGraph "auto" before a version was recorded gives no hint: its token is indexed as one that may collide', () => {
    expect(providerDefinition('tigergraph').planHints?.({ provider: 'tigergraph', host: 'https://tg.example.com', tigergraphVersion: 'auto' })).toBeUndefined();
  });
});
