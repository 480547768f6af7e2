/**
 * TokenProvider for TigerGraph 3.x and 4.x on top of TigerGraphClient.
 *
 * verify(): an authenticated REST++ `GET /echo` with the token as Bearer, on both versions
 * (3.x at the REST++ base, 4.x at `/restpp/echo`). It is the call consumers make with the token,
 * and its refusal (REST-10016 with 401/403) is documented, while the 4.x
 * `/gsql/v1/tokens/check` failure body is UNCONFIRMED. (revoke on 4.x uses that check.)
 */
import { TokenNotFoundError } from '../errors.js';
import type { IssueOptions, IssuedToken, RevokeResult, TokenProvider } from '../token-provider.js';
import type { TigerGraphClient } from './client.js';

export class TigerGraphProvider implements TokenProvider {
  readonly kind = 'tigergraph';

  constructor(private readonly client: TigerGraphClient) {}

  version(): Promise<string> {
    return this.client.detectVersion();
  }

  async supportsRefresh(): Promise<boolean> {
    return (await this.client.detectVersion()) === '3';
  }

  issue(options: IssueOptions = {}): Promise<IssuedToken> {
    return this.client.requestToken(lifetime(options));
  }

  refresh(token: string, options: IssueOptions = {}): Promise<IssuedToken> {
    return this.client.refreshToken(token, lifetime(options));
  }

  async revoke(token: string): Promise<RevokeResult> {
    try {
      await this.client.deleteToken(token);
      return { revoked: true };
    } catch (e) {
      // Already deleted, expired or unknown: the goal (the token no longer works) is met.
      if (e instanceof TokenNotFoundError) return { revoked: false };
      throw e;
    }
  }

  verify(token: string): Promise<boolean> {
    return this.client.checkToken(token);
  }
}

function lifetime(options: IssueOptions): { lifetimeSeconds?: number } {
  return options.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: options.lifetimeSeconds };
}
