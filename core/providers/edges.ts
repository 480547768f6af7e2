/**
 * The providers' edges (edge.ts) by name: what the consumer library knows of each token API. Pure:
 * it imports only the providers' edge modules, never a client, zod or the registry, so the consumer
 * can take it whole. registry.ts lists the same providers with their full definitions; a provider
 * is one line in each (docs/adding-a-provider.md).
 */
import type { ProviderEdge } from './edge.js';
import { icaEdge } from './ica/edge.js';
import { tigergraphEdge } from './tigergraph/edge.js';
import { trifactaEdge } from './trifacta/edge.js';

const BUILT_IN = {
  tigergraph: tigergraphEdge,
  trifacta: trifactaEdge,
  ica: icaEdge,
} as const satisfies Record<string, ProviderEdge>;

/** A token secret's `provider`: one of the product's token APIs. */
export type ProviderName = keyof typeof BUILT_IN;

/** A secret without `provider` is a TigerGraph secret: every secret written before providers existed keeps working. */
export const DEFAULT_PROVIDER: ProviderName = 'tigergraph';

const edges = new Map<string, ProviderEdge>(Object.entries(BUILT_IN));

/** The edge of `name`, or undefined for a name no provider has. */
export function providerEdge(name: string): ProviderEdge | undefined {
  return edges.get(name);
}

/** The product's own providers (not those a test registers): the families a bundle may leave out (bundled.ts). */
export function builtInProviderNames(): ProviderName[] {
  return Object.keys(BUILT_IN) as ProviderName[];
}

/** Every provider name, in registration order. */
export function providerNames(): string[] {
  return [...edges.keys()];
}

/**
 * Adds the edge of a provider that lives outside the product (a test's provider): registry.ts's
 * registerProvider calls it with the definition's edge, so a provider is registered once. Throws
 * for a name already taken.
 */
export function registerProviderEdge(edge: ProviderEdge): void {
  if (edges.has(edge.name)) throw new Error(`provider "${edge.name}" is registered already`);
  edges.set(edge.name, edge);
}
