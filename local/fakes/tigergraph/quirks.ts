/**
 * The fake's answers where tigergraph-token-api.md is silent (UNCONFIRMED) or where servers differ
 * by version. Where one choice is harder on a client than the other, the hard one is the default,
 * so every test meets it unless it opts out.
 */

/** An error answer whose code, status and message are configurable where the docs are silent. */
export interface FakeErrorShape {
  code: string;
  status: number;
  message: string;
}

export interface FakeTigerGraphQuirks {
  /** HTTP status of REST-10016 (missing/invalid token). Real servers: 401 or 403 by version. Default 401. */
  invalidTokenStatus?: 401 | 403;
  /**
   * Answer for an expired token (REST++ calls and 3.x refresh). Default REST-10019, 401.
   * In this and `unknownToken`, `{token}` in the message is replaced by the token in play, to
   * model servers that quote it.
   */
  expiredToken?: Partial<FakeErrorShape>;
  /** Answer to a 3.x refresh/delete of a token the server does not know. Default REST-3300, 404. */
  unknownToken?: Partial<FakeErrorShape>;
  /**
   * Answer to a wrong secret or username/password (3.x POST, 4.x). Default REST-10002, 401 (4.x: no
   * code). `{secret}` in the message is replaced by the refused secret, to model servers that quote it.
   */
  wrongSecret?: Partial<FakeErrorShape>;
  /**
   * 3.x answer to PUT/DELETE /requesttoken with a refused secret or username/password (UNCONFIRMED).
   * 'invalid-token' (default): REST-10016 "Access Denied because the input token = '...' is
   * invalid." with `invalidTokenStatus`, byte for byte the answer for an unknown token, so only a
   * call with the token itself tells "credential refused" from "token gone". 'wrong-secret': the
   * distinct `wrongSecret` answer, as a POST gets.
   */
  tokenOpCredentialRefusal?: 'invalid-token' | 'wrong-secret';
  /** How 4.x reads `lifetime`: 'seconds' (what clients send, default) or 'milliseconds' (what the docs say). */
  lifetimeUnit?: 'seconds' | 'milliseconds';
  /**
   * 4.x: add a random `jti` claim so that tokens minted in the same second differ. Default false:
   * the documented payload has no unique claim, so two tokens for the same user, graph and
   * lifetime minted in the same second are byte-identical.
   */
  uniqueClaim?: boolean;
  /** Whether 4.x still serves REST++ /requesttoken (deprecated in 4.1). Default false: REST-1000 404. */
  requestTokenOn4x?: boolean;
  /** The 3.2 bug: refresh answers `expiration` = lifetime instead of a timestamp. Default false. */
  refreshReturnsLifetime?: boolean;
  /** REST++ /version needs a token when authentication is on. Default false. */
  versionRequiresToken?: boolean;
  /** HTTP status of REST-1101 (PUT/DELETE /requesttoken with only a query string, 3.5+). Default 400. */
  queryStringStatus?: number;
  /** Pre-3.5 behaviour: PUT/DELETE /requesttoken accept `?secret=&token=&lifetime=` instead of REST-1101. Default false. */
  legacyQueryString?: boolean;
  /** 4.x /gsql/v1/tokens/check answer for a token that does not verify. Default 401. */
  tokenCheckFailure?: Partial<Pick<FakeErrorShape, 'status' | 'message'>>;
  /** Most tokens one 4.x block-list DELETE call accepts (a per-call bound, not the list's size). Default 20. */
  blockListLimit?: number;
  /** 4.x: entries one user's block list holds (`gadmin config set GSQL.Token.DropLimit`). Default 20, 1 to 50. */
  blockListCapacity?: number;
  /**
   * 4.x: what a block-list DELETE does when the user's list is full (UNCONFIRMED).
   * 'drop-oldest' (default): the oldest entry leaves the list and that token works again. It is the
   * harder case: a revoke is silently undone and no answer tells the client, whereas 'refuse'
   * (an error answer, `blockListFull`) at least fails the call that could not revoke. A product
   * that block-lists routinely shows up as revoked tokens coming back to life (`liveTokens()`).
   */
  blockListWhenFull?: 'refuse' | 'drop-oldest';
  /** 4.x answer in 'refuse' mode (UNCONFIRMED). Default HTTP 400 and a message naming the limit; `{limit}` is replaced by the capacity. */
  blockListFull?: Partial<Pick<FakeErrorShape, 'status' | 'message'>>;
  /** 4.x: expired tokens leave the block list, freeing room (UNCONFIRMED). Default false: they stay until `?clear=true`. */
  blockListDropsExpired?: boolean;
  /** Version reported by /version. Default "3.10.1" or "4.1.2". */
  versionString?: string;
  /**
   * Seconds after minting during which REST++ (and 4.x /gsql/v1/tokens/check) refuses a token as
   * invalid (clock skew, propagation; local/fakes/shared/fresh.ts). Default 0.
   */
  freshTokenRefusedSeconds?: number;
}

export interface ResolvedQuirks {
  invalidTokenStatus: 401 | 403;
  expiredToken: FakeErrorShape;
  unknownToken: FakeErrorShape;
  wrongSecret: FakeErrorShape;
  tokenOpCredentialRefusal: 'invalid-token' | 'wrong-secret';
  lifetimeUnit: 'seconds' | 'milliseconds';
  uniqueClaim: boolean;
  requestTokenOn4x: boolean;
  refreshReturnsLifetime: boolean;
  versionRequiresToken: boolean;
  queryStringStatus: number;
  legacyQueryString: boolean;
  tokenCheckFailure: { status: number; message: string };
  blockListLimit: number;
  blockListCapacity: number;
  blockListWhenFull: 'refuse' | 'drop-oldest';
  blockListFull: { status: number; message: string };
  blockListDropsExpired: boolean;
  versionString: string;
  freshTokenRefusedSeconds: number;
}

export function resolveQuirks(version: 3 | 4, q: FakeTigerGraphQuirks = {}): ResolvedQuirks {
  const capacity = q.blockListCapacity ?? 20;
  // GSQL.Token.DropLimit accepts 1 to 50; a fake configured outside that would test nothing real.
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > 50) throw new RangeError('blockListCapacity must be an integer from 1 to 50');
  return {
    invalidTokenStatus: q.invalidTokenStatus ?? 401,
    expiredToken: {
      code: 'REST-10019',
      status: 401,
      message: 'Access Denied because the input token has expired.',
      ...q.expiredToken,
    },
    unknownToken: { code: 'REST-3300', status: 404, message: 'The token does not exist.', ...q.unknownToken },
    wrongSecret: {
      code: 'REST-10002',
      status: 401,
      message: 'Authentication failed: the secret or the username/password is not valid.',
      ...q.wrongSecret,
    },
    tokenOpCredentialRefusal: q.tokenOpCredentialRefusal ?? 'invalid-token',
    lifetimeUnit: q.lifetimeUnit ?? 'seconds',
    uniqueClaim: q.uniqueClaim ?? false,
    requestTokenOn4x: q.requestTokenOn4x ?? false,
    refreshReturnsLifetime: q.refreshReturnsLifetime ?? false,
    versionRequiresToken: q.versionRequiresToken ?? false,
    queryStringStatus: q.queryStringStatus ?? 400,
    legacyQueryString: q.legacyQueryString ?? false,
    tokenCheckFailure: { status: 401, message: 'The token verification failed.', ...q.tokenCheckFailure },
    blockListLimit: q.blockListLimit ?? 20,
    blockListCapacity: capacity,
    blockListWhenFull: q.blockListWhenFull ?? 'drop-oldest',
    blockListFull: {
      status: 400,
      message: 'Failed to drop the JWT tokens: the number of dropped tokens has reached the limit of {limit} (GSQL.Token.DropLimit).',
      ...q.blockListFull,
    },
    blockListDropsExpired: q.blockListDropsExpired ?? false,
    versionString: q.versionString ?? (version === 3 ? '3.10.1' : '4.1.2'),
    freshTokenRefusedSeconds: q.freshTokenRefusedSeconds ?? 0,
  };
}
