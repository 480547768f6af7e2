/**
 * An in-memory TokenProvider for unit tests of provider-agnostic logic (rotation steps, sweeps,
 * on-demand): it records every call so tests can assert how many tokens were minted, refreshed or
 * revoked, and its capabilities are whatever the test says. `memoryOpener` hands it to the
 * operations as the provider of every secret.
 */
import { randomBytes } from 'node:crypto';
import { RefreshUnsupportedError, TokenNotFoundError } from '../../core/errors.js';
import type { ProviderOpener } from '../../core/providers/open.js';
import type {
  HeldToken,
  IssueRequest,
  IssuedToken,
  ProviderCapabilities,
  ProviderDefinition,
  RevokeOutcome,
  TokenProvider,
} from '../../core/providers/provider.js';

export interface MemoryProviderOptions {
  /** Default: in-place refresh, revoke by token. */
  capabilities?: Partial<ProviderCapabilities>;
  lifetimeSeconds?: number;
  now?: () => number;
  /** Mint the same token string for every issue in the same second (JWT-like collisions). */
  deterministic?: boolean;
}

export class MemoryProvider implements TokenProvider {
  readonly name = 'memory';
  readonly live = new Map<string, number>();
  readonly calls = { issue: 0, refresh: 0, revoke: 0, verify: 0 };
  readonly issued: IssueRequest[] = [];
  readonly refreshedWith: Array<{ lifetimeSeconds?: number }> = [];
  failIssue?: Error;
  failVerify?: Error;
  failRevoke?: Error;
  failRefresh?: Error;
  /** Tokens the server refuses on use (verify false) though they are not revoked (an admin's doing, a lost propagation). */
  readonly refused = new Set<string>();
  /** While true, every token issued joins `refused` (a server that refuses whatever it mints now). */
  refuseNew = false;
  readonly capabilitiesValue: ProviderCapabilities;

  constructor(private readonly options: MemoryProviderOptions = {}) {
    this.capabilitiesValue = { refresh: 'in-place', revoke: 'by-token', routineRevoke: 'always', tokensMayCollide: false, ...options.capabilities };
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async version(): Promise<string> {
    return this.capabilitiesValue.refresh === 'none' ? '4' : '3';
  }
  async capabilities(): Promise<ProviderCapabilities> {
    return this.capabilitiesValue;
  }
  async issue(request: IssueRequest = { purpose: { secretName: 'test', versionId: 'v' } }): Promise<IssuedToken> {
    this.calls.issue++;
    this.issued.push(request);
    if (this.failIssue) throw this.failIssue;
    // One reading of the clock: two could straddle a millisecond and make the lifetime 1 ms off.
    const now = this.now();
    const token = this.options.deterministic ? `same-${Math.floor(now / 1000)}` : randomBytes(16).toString('hex');
    const expiresAt = now + (request.lifetimeSeconds ?? this.options.lifetimeSeconds ?? 86400) * 1000;
    this.live.set(token, expiresAt);
    if (this.refuseNew) this.refused.add(token);
    return { token, expiresAt: new Date(expiresAt), issuedAt: new Date(now) };
  }
  async refresh(held: HeldToken, options: { lifetimeSeconds?: number } = {}): Promise<IssuedToken> {
    this.calls.refresh++;
    this.refreshedWith.push(options);
    if (this.capabilitiesValue.refresh === 'none') throw new RefreshUnsupportedError('memory provider cannot refresh');
    if (this.failRefresh) throw this.failRefresh;
    if (!this.isLive(held.token)) throw new TokenNotFoundError('token unknown or expired');
    const now = this.now();
    const expiresAt = now + (options.lifetimeSeconds ?? this.options.lifetimeSeconds ?? 86400) * 1000;
    if (this.capabilitiesValue.refresh === 'new-token' || this.capabilitiesValue.refresh === 'new-token-retiring') {
      if (this.capabilitiesValue.refresh === 'new-token-retiring') this.live.delete(held.token);
      const token = randomBytes(16).toString('hex');
      this.live.set(token, expiresAt);
      return { token, expiresAt: new Date(expiresAt), issuedAt: new Date(now) };
    }
    this.live.set(held.token, expiresAt);
    return { token: held.token, expiresAt: new Date(expiresAt), issuedAt: new Date(now) };
  }
  async revoke(held: HeldToken): Promise<RevokeOutcome> {
    this.calls.revoke++;
    if (this.failRevoke) throw this.failRevoke;
    return this.live.delete(held.token) ? 'revoked' : 'already-gone';
  }
  async verify(held: HeldToken): Promise<boolean> {
    this.calls.verify++;
    if (this.failVerify) throw this.failVerify;
    return this.isLive(held.token) && !this.refused.has(held.token);
  }
  isLive(token: string): boolean {
    const exp = this.live.get(token);
    return exp !== undefined && exp > this.now();
  }
}

export const memoryDefinition: ProviderDefinition<unknown, unknown> = {
  name: 'memory',
  edge: { name: 'memory', label: 'Memory', apiBase: (_secret, host) => host.origin, refusalStatuses: [401], refusedHint: () => 'the memory provider' },
  defaultLifetimeSeconds: undefined,
  connectionFields: [],
  credentialShapes: [],
  tokenFields: [],
  parseConfig: (secret) => secret,
  parseCredentials: (raw) => raw,
  origins: () => [],
  open: () => {
    throw new Error('memoryOpener opens the test provider directly');
  },
};

/** A ProviderOpener that hands out `provider` for every secret and counts the opens. */
export function memoryOpener(provider: TokenProvider): ProviderOpener & { opened: number } {
  return {
    opened: 0,
    definition: () => memoryDefinition,
    async open() {
      this.opened++;
      return provider;
    },
  };
}
