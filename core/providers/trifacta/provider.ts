/**
 * TokenProvider for Trifacta / Alteryx Designer Cloud v4 API access tokens on top of
 * TrifactaClient.
 *
 * Creating a token is not idempotent and its value is shown only in the create answer, so issue()
 * tags every token with a description naming the secret and the rotation version, and:
 *   - before minting, deletes tokens already carrying that description (an earlier attempt of the
 *     same version whose answer was lost: never stored, so nobody holds them);
 *   - when the create's answer is lost, deletes them again and throws a retryable error, so
 *     Secrets Manager retries the step.
 * A finished rotation thus leaves exactly one live token per version.
 */
import { HttpError, RefreshUnsupportedError, TransportError, ValidationError, type TokenError } from '../../errors.js';
import type { HeldToken, IssuedToken, IssueRequest, ProviderCapabilities, RevokeOutcome, TokenProvider } from '../provider.js';
import type { TrifactaClient } from './client.js';

/** 30 days: Trifacta has no server default a rotator can rely on, so a lifetime is always sent. */
export const DEFAULT_LIFETIME_SECONDS = 2_592_000;

const CAPABILITIES: ProviderCapabilities = { refresh: 'none', revoke: 'by-id', routineRevoke: 'always', tokensMayCollide: false };

/**
 * The description written on every token the product mints: unique per secret version, so the
 * tokens of one rotation attempt can be found again by listing (and told from the user's own).
 */
export function tokenDescription(purpose: IssueRequest['purpose']): string {
  return `tg-token-rotation ${purpose.secretName} ${purpose.versionId}`;
}

export class TrifactaProvider implements TokenProvider {
  readonly name = 'trifacta';

  constructor(private readonly client: TrifactaClient) {}

  async version(): Promise<string> {
    return 'v4';
  }

  async capabilities(): Promise<ProviderCapabilities> {
    return CAPABILITIES;
  }

  async issue(request: IssueRequest): Promise<IssuedToken> {
    const lifetimeSeconds = positiveLifetime(request.lifetimeSeconds);
    const description = tokenDescription(request.purpose);
    await this.deleteWithDescription(description);
    let created;
    try {
      created = await this.client.createToken(lifetimeSeconds, description);
    } catch (e) {
      if (!answerMayBeLost(e)) throw e;
      throw await this.afterLostAnswer(e, description);
    }
    const issuedAt = created.createdAt ?? new Date(this.client.clock.now());
    // An answer without expiredAt: the lifetime we asked for, counted from the server's createdAt.
    const expiresAt = created.expiresAt === undefined ? new Date(issuedAt.getTime() + lifetimeSeconds * 1000) : created.expiresAt;
    return { token: created.tokenValue, expiresAt, issuedAt, fields: { tokenId: created.tokenId } };
  }

  refresh(): Promise<IssuedToken> {
    return Promise.reject(
      new RefreshUnsupportedError('Trifacta API access tokens can never be modified or extended: rotate to a new token instead'),
    );
  }

  async revoke(held: HeldToken): Promise<RevokeOutcome> {
    const tokenId = tokenIdOf(held);
    if (tokenId === undefined) {
      throw new ValidationError(
        'trifacta: the token secret has no tokenId beside its token (a token pasted by hand?), so it cannot be deleted by id: ' +
          'a rotation will replace it with a token whose tokenId is stored; delete the old one in the workspace settings if it must stop working now',
        'tokenId',
      );
    }
    return (await this.client.deleteToken(tokenId)) === 'deleted' ? 'revoked' : 'already-gone';
  }

  verify(held: HeldToken): Promise<boolean> {
    return this.client.checkToken(held.token, tokenIdOf(held));
  }

  /** Deletes every token of the user carrying `description`; resolves how many the server deleted. */
  private async deleteWithDescription(description: string): Promise<number> {
    const leftovers = (await this.client.listTokens()).filter((t) => t.description === description);
    let deleted = 0;
    for (const t of leftovers) if ((await this.client.deleteToken(t.tokenId)) === 'deleted') deleted++;
    return deleted;
  }

  /** Cleans up after a create whose answer was lost; returns the (retryable) error to throw. */
  private async afterLostAnswer(lost: TransportError | HttpError, description: string): Promise<TokenError> {
    const head = `The answer to the token create was lost (${lost.message})`;
    let deleted: number;
    try {
      deleted = await this.deleteWithDescription(description);
    } catch (cleanup) {
      const why = cleanup instanceof Error ? cleanup.message : String(cleanup);
      return rebuild(
        lost,
        `${head}; a token may have been minted and deleting it failed (${why}): the next attempt of this rotation step deletes it before minting`,
      );
    }
    return rebuild(
      lost,
      `${head}; ${deleted} orphan token(s) minted without an answer were deleted (description "${description}"); ` +
        'the step fails so that it is retried, and the retry deletes any token the server finished minting since',
    );
  }
}

/** Transport faults after the request may have left, and 5xx: the server may have minted. */
function answerMayBeLost(e: unknown): e is TransportError | HttpError {
  if (e instanceof TransportError) return e.reason === 'timeout' || e.reason === 'reset' || e.reason === 'malformed' || e.reason === 'other';
  return e instanceof HttpError && e.status >= 500;
}

/** The same kind of error (so it stays retryable and keeps its status) with the cleanup's message. */
function rebuild(lost: TransportError | HttpError, message: string): TokenError {
  if (lost instanceof TransportError) return new TransportError(message, lost.reason, { cause: lost });
  return new HttpError(message, lost.status, lost.restCode, lost.serverMessage);
}

function positiveLifetime(v: number | undefined): number {
  if (v === undefined) return DEFAULT_LIFETIME_SECONDS;
  if (!Number.isFinite(v) || v < 1) {
    throw new ValidationError('trifacta: lifetimeSeconds: expected a positive number of seconds (Trifacta tokens are always minted with a lifetime)', 'lifetimeSeconds');
  }
  return Math.floor(v);
}

/** The stored tokenId (a numeric one as its decimal form), or undefined when there is none. */
function tokenIdOf(held: HeldToken): string | undefined {
  const id = held.fields.tokenId;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  return typeof id === 'string' && id.trim() ? id : undefined;
}
