/**
 * Reads (never verifies) the claims of an ICA JWT. The create and refresh answers carry no expiry
 * field, so `exp` is the only expiry the client can learn. The decoder is shared with TigerGraph
 * (../jwt.ts, which depends on neither provider); this names the claims ICA needs.
 */
import { decodeJwtClaimsOf, type JwtClaimsOf } from '../jwt.js';

/** exp, iat, sub. */
export type IcaJwtClaims = JwtClaimsOf<'sub'>;

/** The payload of a compact JWS, or undefined when `token` is not one (no exception). */
export function decodeIcaClaims(token: string): IcaJwtClaims | undefined {
  return decodeJwtClaimsOf(token, ['sub']);
}
