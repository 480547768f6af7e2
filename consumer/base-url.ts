/**
 * Where authenticated calls go, from the token secret's fields: each provider's edge says
 * (core/providers/edges.ts: TigerGraph's REST++ base by version, ports and paths; Trifacta's /v4;
 * ICA's /ica/rest), after the one host check (core/http/origins.ts). Pure: no I/O, and it imports
 * no provider client, no HTTP transport and no zod.
 */
import { checkedHost } from '../core/http/origins.js';
import { providerEdge, providerNames } from '../core/providers/edges.js';
import type { ProviderEdge } from '../core/providers/edge.js';
import type { ProviderName } from './types.js';

const INSECURE_HINT =
  ', or (local test servers only) set "allowInsecureHttp": true in the secret and run the app with TG_TOKEN_ROTATION_LOCAL=true or the allowInsecureHttp option';

export interface ConnectionFields {
  provider: ProviderName;
  host: string;
  /** Already decided by the caller: the secret asks for it and the process may honour it. */
  allowInsecureHttp: boolean;
  /** The token secret's other fields the provider reads (TigerGraph: providerVersion, tigergraphVersion, ports, restppPath). */
  fields?: Readonly<Record<string, unknown>>;
  /** The token (TigerGraph tells 3.x from 4.x by its shape when the secret does not say). */
  token?: string;
}

/** The provider names, as a message lists them. */
export function knownProviders(): string {
  return providerNames()
    .map((p) => `"${p}"`)
    .join(', ');
}

/** The edge of `provider`; a TypeError naming the field for a name no provider has. */
export function edgeOf(provider: string): ProviderEdge {
  const edge = providerEdge(provider);
  if (!edge) throw new TypeError(`provider: expected one of ${knownProviders()}`);
  return edge;
}

/** A host's origin, checked (core/http/origins.ts checkedHost). Throws Error(message) without the input. */
export function checkedOrigin(host: string, allowInsecureHttp: boolean): string {
  return checkedUrl(host, allowInsecureHttp).origin;
}

function checkedUrl(host: string, allowInsecureHttp: boolean): URL {
  try {
    return checkedHost(host, { allowInsecureHttp, exposes: 'the token', insecureHint: INSECURE_HINT });
  } catch (e) {
    throw new Error(`host: ${(e as Error).message}`);
  }
}

/**
 * The base URL of authenticated calls, without a trailing slash. Throws Error(message) for an
 * unusable host, an EdgeFieldError (naming the field) for a provider field it cannot use.
 */
export function baseUrlFor(conn: ConnectionFields): string {
  return edgeOf(conn.provider).apiBase(conn.fields ?? {}, checkedUrl(conn.host, conn.allowInsecureHttp), conn.token ?? '');
}
