/**
 * What the deployment reads of each token API, all from the providers' definitions
 * (core/providers/): which connection fields belong to which provider, the provider fields a
 * connection writes into its token secret, what a created credential secret starts as, how
 * descriptions name the provider and the token lifetime the schedule is checked against. Nothing
 * here names a provider: a new one needs no change in infra/.
 */
import { Token } from 'aws-cdk-lib';
import { DEFAULT_PROVIDER, type ProviderName } from '../core/providers/edges.js';
import { allProviderDefinitions, providerDefinition } from '../core/providers/registry.js';

export { DEFAULT_PROVIDER, type ProviderName };

/** The provider of a connection: given, or the default (a secret without `provider` is a TigerGraph secret). */
export function providerOf(conn: { readonly provider?: string | undefined }): string {
  return conn.provider ?? DEFAULT_PROVIDER;
}

/** Which provider takes each provider-specific connection field, for "only for provider ..." checks. */
export function fieldOwners(): ReadonlyMap<string, string> {
  return new Map(allProviderDefinitions().flatMap((d) => d.connectionFields.map((f) => [f, d.name] as const)));
}

/**
 * The provider fields a connection writes into its token secret: the provider's own fields it
 * sets, with the provider's defaults filled in (ProviderDefinition.connectionSettings). With
 * `resolvedOnly`, a value CloudFormation resolves at deploy time is left out (what synth can check).
 */
export function providerSettings(conn: object, provider: string, options: { resolvedOnly?: boolean } = {}): Record<string, unknown> {
  const definition = providerDefinition(provider);
  const values = conn as Readonly<Record<string, unknown>>;
  const given = Object.fromEntries(
    definition.connectionFields.filter((f) => values[f] !== undefined && !(options.resolvedOnly && Token.isUnresolved(values[f]))).map((f) => [f, values[f]]),
  );
  return definition.connectionSettings?.(given) ?? given;
}

/** How descriptions and outputs name the provider, e.g. "TigerGraph". */
export function providerLabel(provider: string): string {
  return providerDefinition(provider).edge.label;
}

/**
 * The lifetime a connection's tokens get when the deployment names none: the provider's default,
 * or undefined when the provider has none (ICA: the tenant administrator sets the JWT lifetime;
 * the API takes none). Then the deployment must state it.
 */
export function defaultLifetimeSeconds(provider: string): number | undefined {
  return providerDefinition(provider).defaultLifetimeSeconds;
}

/** The credential secret shapes the provider accepts, as JSON, e.g. `{"secret":"<TigerGraph secret>"}`. */
export function credentialShapes(provider: string): string[] {
  return providerDefinition(provider).credentialShapes.map((shape) => JSON.stringify(shape));
}

/**
 * What a created credential secret holds until the operator fills it in: the provider's first
 * shape with every value empty (TigerGraph `{"secret":""}`, Trifacta `{"username":"","password":""}`,
 * ICA `{"apiKey":""}`). Empty values are "not filled in yet" to the functions, never a credential.
 */
export function credentialPlaceholder(provider: string): string {
  const first = providerDefinition(provider).credentialShapes[0] ?? {};
  return JSON.stringify(Object.fromEntries(Object.keys(first).map((k) => [k, ''])));
}

/** The created credential secret's description: what to put there. */
export function credentialDescription(provider: string, connection: string, product: string): string {
  return `${providerLabel(provider)} credentials for ${connection}: set to ${credentialShapes(provider).join(' or ')}. Only the ${product} functions read it.`;
}
