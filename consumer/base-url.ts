/**
 * Where authenticated calls go for each provider, from the token secret's connection fields.
 * Pure: no I/O. TigerGraph reuses the product's own URL rules (core/providers/tigergraph/urls.ts:
 * 3.x vs 4.x REST++ bases, explicit ports and paths, Cloud hosts); Trifacta and ICA are a fixed
 * path under the host. Imports no provider client, no HTTP transport and no zod.
 */
import { resolveBases } from '../core/providers/tigergraph/urls.js';
import { ICA_BASE_PATH } from '../core/providers/ica/types.js';
import type { ProviderName } from './types.js';

/** Trifacta / Designer Cloud v4 API root under the host (trifacta-token-api.md). */
export const TRIFACTA_BASE_PATH = '/v4';

export interface ConnectionFields {
  provider: ProviderName;
  host: string;
  /** Already decided by the caller: the secret asks for it and the process may honour it. */
  allowInsecureHttp: boolean;
  /** TigerGraph only. */
  tigergraph?: {
    version: '3' | '4';
    restppPort?: number | undefined;
    restppPath?: string | undefined;
    gsqlPort?: number | undefined;
  };
}

/** A host's origin, checked: http(s) only, plain http only when allowed. Throws Error(message) without the input. */
export function checkedOrigin(host: string, allowInsecureHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new Error('host: expected a URL with scheme and host, e.g. https://api.example.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`host: expected https:// (got ${url.protocol}//)`);
  if (url.protocol === 'http:' && !allowInsecureHttp) {
    throw new Error(
      `host: ${url.origin} uses plain http://, which would send the token unencrypted: use https://, or (local test servers only) ` +
        'set "allowInsecureHttp": true in the secret and run the app with TG_TOKEN_ROTATION_LOCAL=true or the allowInsecureHttp option',
    );
  }
  return url.origin;
}

/** The base URL of authenticated calls, without a trailing slash. Throws Error(message) for an unusable host. */
export function baseUrlFor(conn: ConnectionFields): string {
  const origin = checkedOrigin(conn.host, conn.allowInsecureHttp);
  switch (conn.provider) {
    case 'trifacta':
      return origin + TRIFACTA_BASE_PATH;
    case 'ica':
      return origin + ICA_BASE_PATH;
    case 'tigergraph': {
      const tg = conn.tigergraph ?? { version: '3' as const };
      return resolveBases(
        { host: conn.host, restppPort: tg.restppPort, restppPath: tg.restppPath, gsqlPort: tg.gsqlPort, allowInsecureHttp: conn.allowInsecureHttp },
        tg.version,
      ).restpp;
    }
  }
}
