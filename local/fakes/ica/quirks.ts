/**
 * The fake's answers to every item ica-token-api.md marks UNCONFIRMED (and a few it is silent on).
 * Defaults take the reading that is hardest on a client, except where the brief of the fake fixes
 * one (exp present; the 400 the doc names for a missing tenant), so a client that passes against
 * the defaults does not lean on a lucky guess.
 */
export interface FakeIcaQuirks {
  /** Mint JWTs without an `exp` claim (the server still expires them). Default false: `exp` is standard. */
  omitExp?: boolean;
  /** Status refusing `tokens:refresh` of a JWT minted with an API key. Default 400. */
  apiKeyRefreshStatus?: 400 | 401;
  /** Status refusing `tokens:refresh` of an expired JWT. Default 401 (differs from the API-key one, so a client must handle both). */
  expiredRefreshStatus?: 400 | 401;
  /** The JWT given to `tokens:refresh` stays valid until its own exp. Default false: it is invalidated (the doc only assumes it stays). */
  refreshKeepsOldValid?: boolean;
  /** Status for Basic auth of a user in several tenants without `?tenant=` (and for a tenant the user is not in). Default 400. */
  multiTenantStatus?: 400 | 401 | 403 | 422;
  /** Fields added to the Token model beside `token`; false for the bare `{"token"}`. Default two extra fields. */
  tokenExtraFields?: Record<string, unknown> | false;
  /** Problem `detail`s quote the refused API key, Basic value or JWT (a careless server). Default true. */
  echoSecretsInProblems?: boolean;
  /** Add a random `jti` so JWTs never collide. Default false: same subject, same second, same bytes. */
  uniqueClaim?: boolean;
  /** Answer 406 to a request whose Accept does not allow application/vnd.illumina.v3+json (or JSON). Default true. */
  strictAccept?: boolean;
  /**
   * A JWT minted with username/password ends the user's earlier JWTs in that tenant at once
   * (issue 22: invalidate on issue; refresh does so by default, see refreshKeepsOldValid). Default
   * false: the docs say a replaced JWT stays valid until it expires.
   */
  passwordMintInvalidatesEarlier?: boolean;
  /** Seconds after minting during which a JWT is refused as not valid where it authenticates (clock skew, propagation; shared/fresh.ts). Default 0. */
  freshTokenRefusedSeconds?: number;
}

export type ResolvedQuirks = Required<FakeIcaQuirks>;

export const DEFAULT_EXTRA_FIELDS: Readonly<Record<string, unknown>> = { tokenType: 'Bearer', expiresIn: null };

export function resolveQuirks(q: FakeIcaQuirks = {}): ResolvedQuirks {
  return {
    omitExp: q.omitExp ?? false,
    apiKeyRefreshStatus: q.apiKeyRefreshStatus ?? 400,
    expiredRefreshStatus: q.expiredRefreshStatus ?? 401,
    refreshKeepsOldValid: q.refreshKeepsOldValid ?? false,
    multiTenantStatus: q.multiTenantStatus ?? 400,
    tokenExtraFields: q.tokenExtraFields ?? { ...DEFAULT_EXTRA_FIELDS },
    echoSecretsInProblems: q.echoSecretsInProblems ?? true,
    uniqueClaim: q.uniqueClaim ?? false,
    strictAccept: q.strictAccept ?? true,
    freshTokenRefusedSeconds: q.freshTokenRefusedSeconds ?? 0,
    passwordMintInvalidatesEarlier: q.passwordMintInvalidatesEarlier ?? false,
  };
}
