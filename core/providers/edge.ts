/**
 * A provider's edge: what the product's edges need to know of a token API beyond its client, so
 * that neither the consumer library nor the deployment names a provider. The consumer reads the
 * table of edges (edges.ts); each provider declares its own in `core/providers/<name>/edge.ts`,
 * which its definition also carries (ProviderDefinition.edge) for infra/.
 *
 * Pure and without imports: an edge module must not pull a provider client, zod or the HTTP
 * transport into a consumer bundle (test/consumer/bundle.test.ts checks).
 */

/** A token secret field an edge cannot use; `field` names it (the consumer's SecretFormatError). */
export class EdgeFieldError extends Error {
  override readonly name = 'EdgeFieldError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export interface ProviderEdge {
  /** The registry name: a token secret's `provider`. */
  readonly name: string;
  /** How descriptions and messages name the provider, e.g. "TigerGraph". */
  readonly label: string;
  /**
   * Where an app's authenticated calls go, without a trailing slash, from the token secret's
   * fields, its host (already checked: core/http/origins.ts) and its token. Throws an
   * EdgeFieldError for a field it cannot use.
   */
  apiBase(secret: Readonly<Record<string, unknown>>, host: URL, token: string): string;
  /** HTTP statuses that alone say the token was refused (docs/protocols/<name>-token-api.md). */
  readonly refusalStatuses: readonly number[];
  /** Codes that say the token was refused in any error answer's body, or in a client library error's code or message. */
  readonly refusalCodes?: RegExp;
  /** Headers every authenticated call sends unless the app sets them (ICA's Accept). */
  readonly headers?: Readonly<Record<string, string>>;
  /** What an app should check when the token is refused twice (the consumer's TokenRefusedError). */
  refusedHint(at: { baseUrl: string; graph?: string | undefined }): string;
}
