/**
 * TokenProvider for TigerGraph 3.x and 4.x on top of TigerGraphClient.
 *
 * Capabilities follow the detected version: 3.x refreshes in place and deletes tokens; 4.x cannot
 * refresh, block-lists on delete (a per-user list of 20 by default, so routine revokes are kept
 * for tokens with life left: 'long-lived-only'), and its JWTs carry no unique claim, so two
 * secrets can be given the same token ('tokensMayCollide').
 *
 * verify(): an authenticated REST++ `GET /echo` with the token as Bearer, on both versions
 * (3.x at the REST++ base, 4.x at `/restpp/echo`). It is the call consumers make with the token,
 * and its refusal (REST-10016 with 401/403) is documented, while the 4.x
 * `/gsql/v1/tokens/check` failure body is UNCONFIRMED. (revoke on 4.x uses that check first.)
 *
 * revoke() answers 'already-gone' only when the client proved the token unusable (REST++ refuses
 * it); a refusal that turns out to be about the credential throws BadCredentialError, a full 4.x
 * block list RevokeLimitError: the token still works in both cases, so it stays tracked.
 */
import { TokenNotFoundError } from '../../errors.js';
import type { HeldToken, IssueRequest, ProviderCapabilities, RevokeOutcome, TokenProvider } from '../provider.js';
import type { TigerGraphClient, TigerGraphIssuedToken } from './client.js';

const V3: ProviderCapabilities = { refresh: 'in-place', revoke: 'by-token', routineRevoke: 'always', tokensMayCollide: false };
const V4: ProviderCapabilities = { refresh: 'none', revoke: 'by-token', routineRevoke: 'long-lived-only', tokensMayCollide: true };

export class TigerGraphProvider implements TokenProvider {
  readonly name = 'tigergraph';

  constructor(private readonly client: TigerGraphClient) {}

  version(): Promise<string> {
    return this.client.detectVersion();
  }

  async capabilities(): Promise<ProviderCapabilities> {
    return (await this.client.detectVersion()) === '3' ? V3 : V4;
  }

  issue(request: IssueRequest): Promise<TigerGraphIssuedToken> {
    return this.client.requestToken(lifetime(request));
  }

  refresh(held: HeldToken, options: { lifetimeSeconds?: number }): Promise<TigerGraphIssuedToken> {
    return this.client.refreshToken(held.token, lifetime(options));
  }

  async revoke(held: HeldToken): Promise<RevokeOutcome> {
    try {
      await this.client.deleteToken(held.token);
      return 'revoked';
    } catch (e) {
      // Proven unusable (client.ts): the goal, a token that no longer works, is met.
      if (e instanceof TokenNotFoundError) return 'already-gone';
      throw e;
    }
  }

  verify(held: HeldToken): Promise<boolean> {
    return this.client.checkToken(held.token);
  }
}

function lifetime(options: { lifetimeSeconds?: number | undefined }): { lifetimeSeconds?: number } {
  return options.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: options.lifetimeSeconds };
}
