/**
 * Reads (never verifies) the claims of a JWT, for providers whose tokens are JWTs (TigerGraph 4.x,
 * ICA): the client only needs `exp`/`iat` to learn the real expiry, plus the string claims the
 * provider names. Pure (no provider client, no I/O), so any module may use it.
 */

/** `exp` and `iat` (numbers, or numeric strings) plus the named string claims that are present. */
export type JwtClaimsOf<S extends string> = { exp?: number; iat?: number } & { [K in S]?: string };

/**
 * The payload of a compact JWS: `exp`, `iat` and the string claims in `strings`, each only when
 * present and of the right type. undefined when `token` is not a JWS (no exception).
 */
export function decodeJwtClaimsOf<S extends string>(token: string, strings: readonly S[]): JwtClaimsOf<S> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const json: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
    const o = json as Record<string, unknown>;
    const claims: { exp?: number; iat?: number } & Record<string, unknown> = {};
    const exp = numeric(o.exp);
    const iat = numeric(o.iat);
    if (exp !== undefined) claims.exp = exp;
    if (iat !== undefined) claims.iat = iat;
    for (const name of strings) {
      const v = o[name];
      if (typeof v === 'string') claims[name] = v;
    }
    return claims as JwtClaimsOf<S>;
  } catch {
    return undefined;
  }
}

function numeric(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) return Number(v);
  return undefined;
}
