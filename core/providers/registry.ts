/**
 * The token APIs the product rotates, by the name a token secret's `provider` field uses. A new
 * provider is one line here (plus its folder, its fake under local/fakes/ and its protocol note
 * under docs/protocols/).
 */
import { ValidationError } from '../errors.js';
import { ica } from './ica/index.js';
import type { ProviderDefinition } from './provider.js';
import { tigergraph } from './tigergraph/index.js';
import { trifacta } from './trifacta/index.js';

// Each definition is typed by its own config and credentials; the registry only hands them to the opener.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const definitions: Readonly<Record<string, ProviderDefinition<any, any>>> = {
  tigergraph,
  trifacta,
  ica,
};

export const PROVIDER_NAMES: readonly string[] = Object.keys(definitions);

/** The definition of `name`; a ValidationError naming the field for an unknown one. */
export function providerDefinition(name: string): ProviderDefinition<unknown, unknown> {
  const definition = Object.hasOwn(definitions, name) ? definitions[name] : undefined;
  if (!definition) {
    throw new ValidationError(`token secret is invalid: provider: expected one of ${PROVIDER_NAMES.map((n) => JSON.stringify(n)).join(', ')}`, 'provider');
  }
  return definition as ProviderDefinition<unknown, unknown>;
}

/** Every definition, for what applies to all providers (resetting caches). */
export function allProviderDefinitions(): ReadonlyArray<ProviderDefinition<unknown, unknown>> {
  return Object.values(definitions) as ReadonlyArray<ProviderDefinition<unknown, unknown>>;
}
