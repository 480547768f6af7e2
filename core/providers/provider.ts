/**
 * The token-provider seam. Rotation, sweep, on-demand, status, the deployment and the consumer
 * library talk only to these types (the consumer to the edge, edge.ts), so a token API plugs in as
 * one folder under core/providers/ and one line in each of registry.ts and edges.ts
 * (docs/adding-a-provider.md).
 *
 * A provider declares what its API can do instead of the core assuming it:
 *   refresh  'none' (renewing means minting a new token), 'in-place' (same token, later expiry:
 *            TigerGraph 3.x), 'new-token' (a new token from the old one, which keeps working until
 *            its own expiry) or 'new-token-retiring' (a new token from the old one, which may stop
 *            working at once: ICA `tokens:refresh`, where the docs leave it UNCONFIRMED). The core
 *            renews a 'new-token-retiring' token by minting instead: such a refresh takes the token
 *            away from every app that holds it before the new one is stored, so one failed write,
 *            or another secret holding the same JWT, would be an outage;
 *   revoke   'by-token' (TigerGraph), 'by-id' (a provider id stored beside the token: Trifacta's
 *            tokenId) or 'none' (ICA: a replaced token stays valid until it expires);
 *   routineRevoke  'always', or 'long-lived-only' where routine revokes are costly (TigerGraph
 *            4.x block-lists, which fill up): then the sweep revokes a replaced token only when it
 *            still has more than `routineRevokeMinRemainingSeconds` to live;
 *   tokensMayCollide  two tokens minted for different secrets can be byte-identical (JWTs without
 *            a unique claim), so a revoke must first make sure no other secret holds the token.
 * and the fields it writes into the token secret beside `token`/`expiresAt`/`issuedAt`.
 */
import type { Clock } from '../clock.js';
import { ConfigError } from '../errors.js';
import { checkedHost, HostError, type Origin } from '../http/origins.js';
import type { ProviderEdge } from './edge.js';
import type { HttpTuning } from '../http/transport.js';

export type RefreshCapability = 'none' | 'in-place' | 'new-token' | 'new-token-retiring';
export type RevokeCapability = 'by-token' | 'by-id' | 'none';

export interface ProviderCapabilities {
  refresh: RefreshCapability;
  revoke: RevokeCapability;
  routineRevoke: 'always' | 'long-lived-only';
  tokensMayCollide: boolean;
}

/** A token as a secret version holds it: the value and the provider fields written beside it. */
export interface HeldToken {
  /** The token value. Never log it; use `maskToken` for display. */
  token: string;
  /** Provider fields stored with this token (e.g. Trifacta's `tokenId`). */
  fields: Readonly<Record<string, unknown>>;
  /** When it expires; null when the provider said it never expires; undefined when unknown. */
  expiresAt?: Date | null;
}

export interface IssuedToken {
  /** The token value. Never log it; use `maskToken` for display. */
  token: string;
  /** The instant the server stops accepting the token; null when it never expires. */
  expiresAt: Date | null;
  /** When the token was issued (server clock where the API tells it, else ours). */
  issuedAt: Date;
  /** Provider fields to store beside the token (must be JSON values); they are part of `HeldToken.fields` later. */
  fields?: Record<string, unknown>;
}

export interface IssueRequest {
  /** Requested lifetime; undefined: the provider's default. */
  lifetimeSeconds?: number;
  /**
   * Who the token is for: the token secret's name and the secret version it will be stored in.
   * Providers that keep a description (Trifacta) write it there, so every token the product
   * minted can be found again by listing.
   */
  purpose: { secretName: string; versionId: string };
}

/** 'revoked': the server dropped it now. 'already-gone': proven unusable already (refused when tried). */
export type RevokeOutcome = 'revoked' | 'already-gone';

export interface TokenProvider {
  /** The registry name, e.g. "tigergraph". */
  readonly name: string;
  /** The API version spoken, for status (e.g. TigerGraph "3" or "4", Trifacta "v4", ICA "v2"). */
  version(): Promise<string>;
  capabilities(): Promise<ProviderCapabilities>;
  issue(request: IssueRequest): Promise<IssuedToken>;
  /** Only when `capabilities().refresh` is not 'none'; throws RefreshUnsupportedError otherwise or when refused as such. */
  refresh(held: HeldToken, options: { lifetimeSeconds?: number }): Promise<IssuedToken>;
  /**
   * Only when `capabilities().revoke` is not 'none'. Idempotent: a token proven unusable already
   * resolves 'already-gone'. A refusal that could also mean "your credential is wrong" is never
   * taken as "gone": it throws, so the token stays tracked and the revoke is retried.
   */
  revoke(held: HeldToken): Promise<RevokeOutcome>;
  /** Proves the token works with an authenticated call. Resolves false when refused; throws on transport/server faults. */
  verify(held: HeldToken): Promise<boolean>;
}

/** What a provider's factory receives besides the secret and the credentials. */
export interface ProviderContext {
  clock: Clock;
  /** Timeouts and retries for the provider's HTTP calls (set by functions/ from the Lambda environment). */
  http?: HttpTuning;
  /**
   * Whether a token secret's `allowInsecureHttp: true` may be honoured. Only an explicitly local
   * process sets this; deployed functions never speak plain HTTP, whatever a secret says.
   */
  allowInsecureHttp: boolean;
}

/**
 * One token API: how to validate its part of a token secret and its credential secret, and how to
 * open a provider for one token secret. Registered in registry.ts.
 */
export interface ProviderDefinition<Config = unknown, Credentials = unknown> {
  readonly name: string;
  /**
   * What the edges need to know without the client (edge.ts): the label, where an app's calls go,
   * which answers refuse a token, the hints. The consumer library reads it from edges.ts.
   */
  readonly edge: ProviderEdge;
  /**
   * The lifetime requested when the token secret sets none, and the one a deployment writes into
   * it (seconds). Undefined: the server decides and the API takes none (ICA), so a deployment must
   * state it.
   */
  readonly defaultLifetimeSeconds: number | undefined;
  /**
   * The token secret fields only this provider takes, e.g. TigerGraph's ports: a deployment writes
   * them from its connection and refuses them on another provider's connection.
   */
  readonly connectionFields: readonly string[];
  /**
   * A deployment's values of `connectionFields` as the token secret gets them, before they are
   * checked (parseConfig): defaults filled in, serialised forms taken. Absent: as given.
   */
  connectionSettings?(fields: Readonly<Record<string, unknown>>): Record<string, unknown>;
  /** The credential secret's accepted shapes, for messages and for created placeholder secrets. */
  readonly credentialShapes: readonly Record<string, string>[];
  /** Fields the provider writes into the token secret beside the token (IssuedToken.fields), e.g. ["tokenId"]. */
  readonly tokenFields: readonly string[];
  /**
   * Validates the provider's fields of a token secret (the common fields are already checked) and
   * returns its connection config. Throws a ValidationError naming the provider and the field.
   */
  parseConfig(secret: CommonSecretFields & Record<string, unknown>, what: string): Config;
  /** Validates the credential secret's JSON. Throws a ValidationError naming the provider and what was expected. */
  parseCredentials(raw: unknown, what: string): Credentials;
  /**
   * Every origin (scheme, host, port and path prefix: core/http/origins.ts) the provider may call
   * for this config, credential-bearing or not. The deployment binds the credential to these
   * (core/providers/binding.ts) and the transport refuses any other URL. Throws a ConfigError for
   * an unusable host.
   */
  origins(config: Config): Origin[];
  open(config: Config, credentials: Credentials, context: ProviderContext): TokenProvider;
  /** Forgets what the provider caches per container (detected versions, learned units). */
  resetCaches?(): void;
  /** Extra fields for on-demand `status` (e.g. TigerGraph's `tigergraphVersion`); never a token. */
  statusFields?(secret: Record<string, unknown>, providerVersion: string | undefined): Record<string, unknown>;
  /**
   * What renewing and revoking a token of this secret will do, from the secret's fields alone (no
   * server call, no credential): for on-demand `plan`. Undefined when only the server can tell
   * (TigerGraph "auto" before its version was recorded).
   */
  planHints?(secret: Record<string, unknown>): PlanHints | undefined;
}

/** A provider's answer for `plan` (ProviderDefinition.planHints). */
export interface PlanHints {
  /** A due token is refreshed in place, or replaced by a rotation. */
  renew: 'refresh' | 'rotate';
  /** Replaced tokens are revoked, left to expire ('none'), or revoked only with long to live ('long-lived-only'). */
  revoke: 'revoke' | 'none' | 'long-lived-only';
  /**
   * Whether its tokens may be byte-identical to another secret's (ProviderCapabilities.tokensMayCollide).
   * A sweep indexes only such tokens (core/operations/holders.ts: only they are ever looked up), so
   * its memory stays flat in a fleet whose tokens cannot collide. Absent: they may.
   */
  tokensMayCollide?: boolean;
}

/** The token secret fields every provider shares (core/secrets/token-secret.ts validates them). */
export interface CommonSecretFields {
  host: string;
  allowInsecureHttp: boolean;
  caCertificate?: string | undefined;
  lifetimeSeconds?: number | undefined;
}

/** Shows enough of a token to tell two apart in a transcript, never enough to use it. */
export function maskToken(token: string | undefined): string {
  if (!token) return '(none)';
  if (token.length <= 8) return '****';
  return `${token.slice(0, 4)}…${token.slice(-2)} (${token.length} chars)`;
}

/**
 * A provider's host, checked once for every provider (core/http/origins.ts checkedHost): a
 * ConfigError naming the provider and the field otherwise. `exposes` says what plain http would
 * send in clear (e.g. "the password and the tokens").
 */
export function providerHost(provider: string, config: { host: string; allowInsecureHttp?: boolean | undefined }, exposes: string): URL {
  try {
    return checkedHost(config.host, { allowInsecureHttp: config.allowInsecureHttp === true, exposes });
  } catch (e) {
    if (e instanceof HostError) throw new ConfigError(`${provider}: host: ${e.message}`);
    throw e;
  }
}
