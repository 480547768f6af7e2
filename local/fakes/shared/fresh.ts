/**
 * "A freshly minted token is refused for N seconds" (issue 22), which every fake offers as the
 * quirk `freshTokenRefusedSeconds` (default 0): the issuer's clock ahead of the API's, or a token
 * that takes seconds to reach every node, makes a server refuse a token it has just handed out.
 * The fakes refuse such a token where it is used to authenticate (the calls a client proves a token
 * with), with their usual answer for a token they do not accept; the calls that manage a token
 * (refresh with the credential, revoke) treat it as any other, so a revoke is never answered
 * "already gone" for a token that starts working a moment later.
 */

/** Whether a token minted at `mintedAtMs` is still within its first `seconds` at `nowMs`. */
export function refusedWhileFresh(mintedAtMs: number | undefined, nowMs: number, seconds: number): boolean {
  return seconds > 0 && mintedAtMs !== undefined && nowMs < mintedAtMs + seconds * 1000;
}
