/**
 * Reads (never verifies) the claims of an ICA JWT. The create and refresh answers carry no expiry
 * field, so `exp` is the only expiry the client can learn. Copied from tigergraph/jwt.ts (reduced
 * to the claims ICA needs) so the two providers do not depend on each other.
 */
export interface IcaJwtClaims {
  exp?: number;
  iat?: number;
  sub?: string;
}

/** The payload of a compact JWS, or undefined when `token` is not one (no exception). */
export function decodeJwtClaims(token: string): IcaJwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const json: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
    const o = json as Record<string, unknown>;
    const claims: IcaJwtClaims = {};
    const exp = numeric(o.exp);
    const iat = numeric(o.iat);
    if (exp !== undefined) claims.exp = exp;
    if (iat !== undefined) claims.iat = iat;
    if (typeof o.sub === 'string') claims.sub = o.sub;
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
