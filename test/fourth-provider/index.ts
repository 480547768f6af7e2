/**
 * A test-only fourth provider, added by following docs/adding-a-provider.md: its definition (this
 * file), its edge (edge.ts), its client and provider (provider.ts), its fake (fake.ts) and its
 * protocol note (protocol.md). It lives under test/, so it registers itself (registerFourthProvider)
 * instead of a line in core/providers/registry.ts and edges.ts.
 */
import * as z from 'zod/mini';
import { toValidationError } from '../../core/errors.js';
import { originOf } from '../../core/http/origins.js';
import { isProviderName, registerProvider } from '../../core/providers/registry.js';
import { providerHost, type ProviderDefinition } from '../../core/providers/provider.js';
import { nonEmpty } from '../../core/secrets/fields.js';
import { FOURTH_API_PATH, fourthEdge } from './edge.js';
import { FourthProvider, type FourthConfig, type FourthCredentials } from './provider.js';

/** Fourteen days: what a token secret without lifetimeSeconds gets, and what a deployment writes. */
export const FOURTH_DEFAULT_LIFETIME_SECONDS = 14 * 86_400;

const fieldsSchema = z.looseObject({ realm: z._default(nonEmpty(), 'main') });
const credentialSchema = z.looseObject({ apiKey: nonEmpty() });

export const fourth: ProviderDefinition<FourthConfig, FourthCredentials> = {
  name: 'fourth',
  edge: fourthEdge,
  defaultLifetimeSeconds: FOURTH_DEFAULT_LIFETIME_SECONDS,
  connectionFields: ['realm'],
  connectionSettings: (fields) => ({ ...fields, realm: fields.realm ?? 'main' }),
  credentialShapes: [{ apiKey: '<fourth API key>' }],
  tokenFields: ['tokenId'],
  parseConfig(secret, what) {
    const parsed = fieldsSchema.safeParse(secret);
    if (!parsed.success) throw toValidationError(`fourth: ${what}`, parsed.error);
    const url = providerHost('fourth', secret, 'the API key and the tokens');
    return { origin: url.origin, realm: parsed.data.realm, caCertificate: secret.caCertificate };
  },
  parseCredentials(raw, what) {
    const parsed = credentialSchema.safeParse(raw);
    if (!parsed.success) throw toValidationError(`fourth: ${what}`, parsed.error, { union: 'expected {"apiKey": "..."}' });
    return { apiKey: parsed.data.apiKey };
  },
  origins: (config) => [originOf(config.origin + FOURTH_API_PATH)],
  open: (config, credentials, context) => new FourthProvider(config, credentials, context.clock, { ...context.http }),
};

/** Registers the provider in this process (once: a second call does nothing). */
export function registerFourthProvider(): void {
  if (!isProviderName(fourth.name)) registerProvider(fourth);
}

export { startFakeFourth, type FakeFourth } from './fake.js';
