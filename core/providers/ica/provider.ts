/**
 * TokenProvider for ICA v2 JWTs on top of IcaClient.
 *
 * Capabilities follow the credential: an API key mints JWTs ICA will not refresh (refresh 'none');
 * username/password JWTs can be traded for new ones, and whether the JWT given up keeps working is
 * UNCONFIRMED (refresh 'new-token-retiring': the core mints instead, see provider.ts). ICA has no revoke
 * ('none'; a replaced JWT lapses at its own `exp`), and its JWTs may carry no unique claim, so two
 * minted in the same second for the same user can be byte-identical ('tokensMayCollide').
 */
import { ValidationError } from '../../errors.js';
import type { HeldToken, IssuedToken, IssueRequest, ProviderCapabilities, RevokeOutcome, TokenProvider } from '../provider.js';
import type { IcaClient } from './client.js';

const API_KEY: ProviderCapabilities = { refresh: 'none', revoke: 'none', routineRevoke: 'always', tokensMayCollide: true };
const PASSWORD: ProviderCapabilities = { refresh: 'new-token-retiring', revoke: 'none', routineRevoke: 'always', tokensMayCollide: true };

export const CANNOT_REVOKE = 'ica cannot revoke tokens: a replaced JWT stays valid until it expires';

export class IcaProvider implements TokenProvider {
  readonly name = 'ica';

  constructor(private readonly client: IcaClient) {}

  version(): Promise<string> {
    return Promise.resolve('v2');
  }

  capabilities(): Promise<ProviderCapabilities> {
    return Promise.resolve(this.client.mode === 'api-key' ? API_KEY : PASSWORD);
  }

  /** `purpose` is not sent: an ICA JWT has no description. */
  issue(request: IssueRequest): Promise<IssuedToken> {
    return this.client.createToken(request.lifetimeSeconds);
  }

  refresh(held: HeldToken, options: { lifetimeSeconds?: number }): Promise<IssuedToken> {
    return this.client.refreshToken(held.token, held, options.lifetimeSeconds);
  }

  /** The core never calls this (revoke 'none'); a direct call is a misuse and fails clearly. */
  revoke(_held: HeldToken): Promise<RevokeOutcome> {
    return Promise.reject(new ValidationError(CANNOT_REVOKE, 'provider'));
  }

  verify(held: HeldToken): Promise<boolean> {
    return this.client.checkToken(held.token);
  }
}
