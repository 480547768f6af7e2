/**
 * Reads (never verifies) the claims of a TigerGraph 4.x JWT. The client only needs `exp`/`iat`
 * to learn the real expiry: the response's `expiration` string is a Java Date.toString() in the
 * server's local time zone and the `lifetime` unit is ambiguous, so the claim is the truth.
 * The decoder is shared (../jwt.ts); this names the claims TigerGraph's tokens carry.
 */
import { decodeJwtClaimsOf, type JwtClaimsOf } from '../jwt.js';

/** exp, iat, sub, iss, graph. */
export type TigerGraphJwtClaims = JwtClaimsOf<'sub' | 'iss' | 'graph'>;

/** The payload of a compact JWS, or undefined when `token` is not one (no exception). */
export function decodeTigerGraphClaims(token: string): TigerGraphJwtClaims | undefined {
  return decodeJwtClaimsOf(token, ['sub', 'iss', 'graph']);
}
