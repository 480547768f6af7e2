/**
 * The token APIs the product rotates, by the name a token secret's `provider` field uses. A new
 * provider is its folder plus its flag and line here and one line in
 * edges.ts (the consumer's table of the same providers); docs/adding-a-provider.md has the steps.
 * A deployed bundle carries only the families its deployment's connections use (bundled.ts).
 */
import { ValidationError } from '../errors.js';
import { providerEdge, registerProviderEdge } from './edges.js';
import { ica } from './ica/index.js';
import type { ProviderDefinition } from './provider.js';
import { tigergraph } from './tigergraph/index.js';
import { trifacta } from './trifacta/index.js';

// Each definition is typed by its own config and credentials; the registry only hands them to the opener.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDefinition = ProviderDefinition<any, any>;

// The families a bundle carries (bundled.ts providerBundleFlag: TG_PROVIDER_ and the name in capitals): esbuild defines at synth, absent elsewhere.
declare const TG_PROVIDER_TIGERGRAPH: boolean | undefined;
declare const TG_PROVIDER_TRIFACTA: boolean | undefined;
declare const TG_PROVIDER_ICA: boolean | undefined;

function bundledDefinitions(): Map<string, AnyDefinition> {
  const found = new Map<string, AnyDefinition>();
  if (typeof TG_PROVIDER_TIGERGRAPH === 'undefined' || TG_PROVIDER_TIGERGRAPH) found.set('tigergraph', tigergraph);
  if (typeof TG_PROVIDER_TRIFACTA === 'undefined' || TG_PROVIDER_TRIFACTA) found.set('trifacta', trifacta);
  if (typeof TG_PROVIDER_ICA === 'undefined' || TG_PROVIDER_ICA) found.set('ica', ica);
  return found;
}

// Pure: a bundle that never asks for a provider (fleet-list) drops the registry and every family.
const definitions = /* @__PURE__ */ bundledDefinitions();

/** Every registered provider's name, in registration order. */
export function providerNames(): string[] {
  return [...definitions.keys()];
}

/** The names as a message lists them: `"tigergraph", "trifacta", "ica"`. */
export function providerList(): string {
  return providerNames()
    .map((n) => JSON.stringify(n))
    .join(', ');
}

/** Whether `name` is a registered provider. */
export function isProviderName(name: string): boolean {
  return definitions.has(name);
}

/** The definition of `name`; a ValidationError naming the field for an unknown one. */
export function providerDefinition(name: string): ProviderDefinition<unknown, unknown> {
  const definition = definitions.get(name);
  if (!definition && providerEdge(name)) {
    throw new ValidationError(
      `token secret names provider "${name}", which this deployment's functions do not carry: the deployment has no ${name} connection (the construct bundles only the providers its connections use; add a ${name} connection to manage this secret)`,
      'provider',
    );
  }
  if (!definition) throw new ValidationError(`token secret is invalid: provider: expected one of ${providerList()}`, 'provider');
  return definition as ProviderDefinition<unknown, unknown>;
}

/** Every definition, for what applies to all providers (resetting caches, which fields belong to whom). */
export function allProviderDefinitions(): ReadonlyArray<ProviderDefinition<unknown, unknown>> {
  return [...definitions.values()] as ReadonlyArray<ProviderDefinition<unknown, unknown>>;
}

/**
 * Registers a provider that lives outside the product: a test's provider (test/fourth-provider/)
 * is registered here instead of by a line above, and its edge with it (edges.ts), so the
 * functions, the deployment and the consumer library all know it in this process. Throws for a
 * name already taken.
 */
export function registerProvider(definition: AnyDefinition): void {
  if (definitions.has(definition.name)) throw new Error(`provider "${definition.name}" is registered already`);
  if (definition.edge.name !== definition.name) throw new Error(`provider "${definition.name}": its edge is named "${definition.edge.name}"`);
  registerProviderEdge(definition.edge);
  definitions.set(definition.name, definition);
}
