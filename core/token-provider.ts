/**
 * The token-provider seam. Rotation, refresh and revoke logic talk only to this interface, so a
 * new token API with the same lifecycle (issue, maybe refresh, revoke, verify, expiry) plugs in
 * without touching that logic. TigerGraph 3.x and 4.x are the first implementations.
 */
export interface IssuedToken {
  /** The token value. Never log it; use `maskToken` for display. */
  token: string;
  /** Absolute UTC instant the server will stop accepting the token. */
  expiresAt: Date;
  /** When the token was issued (server clock where the API tells it, else ours). */
  issuedAt: Date;
}

export interface IssueOptions {
  lifetimeSeconds?: number;
}

export interface RevokeResult {
  /** True when the server dropped the token now; false when it was already unknown (still gone). */
  revoked: boolean;
}

export interface TokenProvider {
  /** Stable identifier for logs and status, e.g. "tigergraph-3". */
  readonly kind: string;
  /** Detected or configured API version for status output, e.g. "3" or "4". */
  version(): Promise<string>;
  /** Whether `refresh` can extend a token in place. Callers rotate when it cannot. */
  supportsRefresh(): Promise<boolean>;
  issue(options?: IssueOptions): Promise<IssuedToken>;
  /** Extends `token` in place. Throws RefreshUnsupportedError where the API has no refresh. */
  refresh(token: string, options?: IssueOptions): Promise<IssuedToken>;
  /** Idempotent: a token that is already gone resolves `{ revoked: false }`, not an error. */
  revoke(token: string): Promise<RevokeResult>;
  /** Proves the token works with an authenticated call. Resolves false when refused; throws on transport/server faults. */
  verify(token: string): Promise<boolean>;
}

/** Shows enough of a token to tell two apart in a transcript, never enough to use it. */
export function maskToken(token: string | undefined): string {
  if (!token) return '(none)';
  if (token.length <= 8) return '****';
  return `${token.slice(0, 4)}…${token.slice(-2)} (${token.length} chars)`;
}
