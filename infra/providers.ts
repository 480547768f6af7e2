/**
 * What the deployment needs to know about each token API, beyond what core/providers/ defines:
 * which connection fields belong to which provider (the deployment config and the construct refuse
 * a field of another provider, naming it), what a created credential secret starts as, the token
 * lifetime the schedule is checked against, and the TCP ports the functions must reach.
 *
 * The providers themselves (names, credential shapes, default lifetimes, TigerGraph's ports) come
 * from core; this file only maps them onto the deployment.
 */
import { DEFAULT_PROVIDER } from '../core/secrets/token-secret.js';
import { PROVIDER_NAMES, providerDefinition } from '../core/providers/registry.js';
import { resolveBases } from '../core/providers/tigergraph/urls.js';

/**
 * The connection fields only one provider takes, by provider. Every provider in core's registry has
 * an entry (test/infra checks that the keys are exactly core's PROVIDER_NAMES); a name the
 * registry does not know is refused as a provider.
 */
export const PROVIDER_FIELDS = {
  tigergraph: ['tigergraphVersion', 'restppPort', 'gsqlPort', 'graph', 'restppPath'],
  trifacta: [],
  ica: ['tenant'],
} as const satisfies Record<string, readonly string[]>;

/** A provider name of core's registry (core exports the names as strings; this is their literal type). */
export type ProviderName = keyof typeof PROVIDER_FIELDS;

/** Every provider-specific field, for "only for provider ..." checks. */
export const PROVIDER_SPECIFIC_FIELDS: ReadonlyMap<string, ProviderName> = new Map(
  (Object.entries(PROVIDER_FIELDS) as Array<[ProviderName, readonly string[]]>).flatMap(([p, fields]) => fields.map((f) => [f, p] as const)),
);

export { DEFAULT_PROVIDER };

export function isProviderName(name: string): name is ProviderName {
  return PROVIDER_NAMES.includes(name) && Object.hasOwn(PROVIDER_FIELDS, name);
}

/** How descriptions and outputs name the provider. */
const LABELS: Record<ProviderName, string> = { tigergraph: 'TigerGraph', trifacta: 'Trifacta', ica: 'ICA' };

export function providerLabel(provider: ProviderName): string {
  return LABELS[provider];
}

/**
 * TODO(core): core/providers/tigergraph/index.ts declares no `defaultLifetimeSeconds`, but the
 * contract's TigerGraph default (docs/CONTRACT.md, SECURITY.md) is 30 days and the deployment has
 * always written it into the token secret. Remove this fallback once the definition declares it.
 */
const TODO_CORE_TIGERGRAPH_DEFAULT_LIFETIME_SECONDS = 30 * 86_400;

/**
 * The lifetime a connection's tokens get when the deployment names none: the provider's default
 * (core), or undefined when the provider has none (ICA: the tenant administrator sets the JWT
 * lifetime; the API takes none). Then the deployment must state it.
 */
export function defaultLifetimeSeconds(provider: ProviderName): number | undefined {
  const fromCore = providerDefinition(provider).defaultLifetimeSeconds;
  if (fromCore !== undefined) return fromCore;
  return provider === 'tigergraph' ? TODO_CORE_TIGERGRAPH_DEFAULT_LIFETIME_SECONDS : undefined;
}

/** The credential secret shapes the provider accepts, as JSON, e.g. `{"secret":"<TigerGraph secret>"}`. */
export function credentialShapes(provider: ProviderName): string[] {
  return providerDefinition(provider).credentialShapes.map((shape) => JSON.stringify(shape));
}

/**
 * What a created credential secret holds until the operator fills it in: the provider's first
 * shape with every value empty (TigerGraph `{"secret":""}`, Trifacta `{"username":"","password":""}`,
 * ICA `{"apiKey":""}`). Empty values are "not filled in yet" to the functions, never a credential.
 */
export function credentialPlaceholder(provider: ProviderName): string {
  const first = providerDefinition(provider).credentialShapes[0] ?? {};
  return JSON.stringify(Object.fromEntries(Object.keys(first).map((k) => [k, ''])));
}

/** The created credential secret's description: what to put there. */
export function credentialDescription(provider: ProviderName, connection: string, product: string): string {
  return `${providerLabel(provider)} credentials for ${connection}: set to ${credentialShapes(provider).join(' or ')}. Only the ${product} functions read it.`;
}

/** The connection fields the ports depend on. */
export interface PortFields {
  readonly provider: ProviderName;
  readonly host: string;
  readonly tigergraphVersion?: '3' | '4' | 'auto';
  readonly restppPort?: number;
  readonly restppPath?: string;
  readonly gsqlPort?: number;
}

/**
 * The TCP ports the functions connect to for one connection. TigerGraph: where core resolves REST++
 * and GSQL for the version (both versions when "auto"), e.g. 9000 and 14240 for a self-managed 3.x,
 * 443 for Cloud. The others: the host's port, 443 by default.
 */
export function connectionPorts(conn: PortFields): number[] {
  let urls: string[] = [conn.host];
  if (conn.provider === 'tigergraph') {
    const versions = conn.tigergraphVersion === '3' || conn.tigergraphVersion === '4' ? [conn.tigergraphVersion] : (['3', '4'] as const);
    urls = versions.flatMap((version) => {
      const bases = resolveBases({ host: conn.host, restppPort: conn.restppPort, restppPath: conn.restppPath, gsqlPort: conn.gsqlPort }, version);
      return [bases.restpp, bases.gsql];
    });
  }
  const ports = urls.map((u) => {
    const url = new URL(u);
    return url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
  });
  return [...new Set(ports)].sort((a, b) => a - b);
}
