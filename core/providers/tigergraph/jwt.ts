/**
 * Reads (never verifies) the claims of a TigerGraph 4.x JWT. The client only needs `exp`/`iat`
 * to learn the real expiry: the response's `expiration` string is a Java Date.toString() in the
 * server's local time zone and the `lifetime` unit is ambiguous, so the claim is the truth.
 */
export interface JwtClaims {
  exp?: number;
  iat?: number;
  sub?: string;
  iss?: string;
  graph?: string;
}

/** The payload of a compact JWS, or undefined when `token` is not one (no exception). */
export function decodeJwtClaims(token: string): JwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const json: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
    const o = json as Record<string, unknown>;
    const claims: JwtClaims = {};
    const exp = numeric(o.exp);
    const iat = numeric(o.iat);
    if (exp !== undefined) claims.exp = exp;
    if (iat !== undefined) claims.iat = iat;
    if (typeof o.sub === 'string') claims.sub = o.sub;
    if (typeof o.iss === 'string') claims.iss = o.iss;
    if (typeof o.graph === 'string') claims.graph = o.graph;
    return claims;
  } catch {
    return undefined;
  }
}

function numeric(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) return Number(v);
  return undefined;
}
