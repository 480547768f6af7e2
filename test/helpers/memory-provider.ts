/**
 * An in-memory TokenProvider for unit tests of provider-agnostic logic (rotation steps, sweeps):
 * it records every call so tests can assert how many tokens were minted, refreshed or revoked.
 */
import { randomBytes } from 'node:crypto';
import { RefreshUnsupportedError, TokenNotFoundError } from '../../core/errors.js';
import type { IssueOptions, IssuedToken, RevokeResult, TokenProvider } from '../../core/providers/provider.js';

export class MemoryProvider implements TokenProvider {
  readonly kind = 'memory';
  readonly live = new Map<string, number>();
  readonly calls = { issue: 0, refresh: 0, revoke: 0, verify: 0 };
  failIssue?: Error;
  failVerify?: Error;
  failRevoke?: Error;

  constructor(
    private readonly options: { refresh?: boolean; lifetimeSeconds?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async version(): Promise<string> {
    return this.options.refresh === false ? '4' : '3';
  }
  async supportsRefresh(): Promise<boolean> {
    return this.options.refresh !== false;
  }
  async issue(options?: IssueOptions): Promise<IssuedToken> {
    this.calls.issue++;
    if (this.failIssue) throw this.failIssue;
    const token = randomBytes(16).toString('hex');
    const expiresAt = this.now() + (options?.lifetimeSeconds ?? this.options.lifetimeSeconds ?? 86400) * 1000;
    this.live.set(token, expiresAt);
    return { token, expiresAt: new Date(expiresAt), issuedAt: new Date(this.now()) };
  }
  async refresh(token: string, options?: IssueOptions): Promise<IssuedToken> {
    this.calls.refresh++;
    if (this.options.refresh === false) throw new RefreshUnsupportedError('memory provider cannot refresh');
    if (!this.isLive(token)) throw new TokenNotFoundError('token unknown or expired');
    const expiresAt = this.now() + (options?.lifetimeSeconds ?? this.options.lifetimeSeconds ?? 86400) * 1000;
    this.live.set(token, expiresAt);
    return { token, expiresAt: new Date(expiresAt), issuedAt: new Date(this.now()) };
  }
  async revoke(token: string): Promise<RevokeResult> {
    this.calls.revoke++;
    if (this.failRevoke) throw this.failRevoke;
    return { revoked: this.live.delete(token) };
  }
  async verify(token: string): Promise<boolean> {
    this.calls.verify++;
    if (this.failVerify) throw this.failVerify;
    return this.isLive(token);
  }
  isLive(token: string): boolean {
    const exp = this.live.get(token);
    return exp !== undefined && exp > this.now();
  }
}
