/**
 * Skew-proof token times (issue 22). A token server's clock can be minutes off the function's;
 * taking the server's `exp` as an instant on our clock then misjudges the time left by the skew
 * (600 s of skew: 4,188 s claimed, 3,588 s real), so the refresh point comes late, `status` is
 * wrong, and testSecret can give up on a short-lived token the server still accepts. Instead the
 * token's lifetime as the server issued it (its `exp` against the server's own "now" at issue: a
 * JWT's `iat`, a creation instant, or the answer's `Date` header) is counted on our clock: each
 * server instant is moved by the skew, estimated from the server's "now" and ours when the answer
 * arrived. A difference within the resolution of those instants and the request's time (2 s) is
 * not skew, so servers whose clocks agree with ours keep their exact `exp`.
 */

/** Differences up to this are rounding (whole-second claims and headers) and latency, not skew. */
export const SKEW_TOLERANCE_MS = 2_000;

/** The server's clock minus ours (ms), 0 when unknown or within the tolerance. */
export function clockSkewMs(serverNowMs: number | undefined, ourNowMs: number): number {
  if (serverNowMs === undefined || !Number.isFinite(serverNowMs)) return 0;
  const skew = serverNowMs - ourNowMs;
  return Math.abs(skew) <= SKEW_TOLERANCE_MS ? 0 : skew;
}

/** A server's instant on our clock. */
export function onOurClock(serverInstantMs: number, skewMs: number): Date {
  return new Date(serverInstantMs - skewMs);
}
