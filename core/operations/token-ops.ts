/**
 * Token operations on one managed secret, shared by the scheduled sweep and the on-demand
 * function: refresh-or-rotate, revoke the previous token, status. Provider-agnostic: refresh is
 * used where the provider supports it, and a rotation through Secrets Manager (so the rotation
 * hook's guarantees apply) everywhere else.
 */
import type { Clock } from '../clock.js';
import type { OpenProvider } from '../connection.js';
import { RefreshUnsupportedError, RotationStateError, TokenNotFoundError, ValidationError } from '../errors.js';
import { AWSCURRENT, AWSPREVIOUS, isServiceError, type SecretStore, type SecretVersionValue } from '../secrets/store.js';
import type { TokenProvider } from '../token-provider.js';
import { parseTokenSecret, stringField, withToken, type TokenSecret } from '../token-secret.js';

export interface OperationDeps {
  store: SecretStore;
  openProvider: OpenProvider;
  clock: Clock;
}

/** The AWSCURRENT version of a token secret, parsed, with a provider opened only when first needed. */
export class ManagedSecret {
  private provider?: Promise<TokenProvider>;
  private previousVersion?: Promise<SecretVersionValue | undefined>;

  private constructor(
    readonly secretId: string,
    readonly current: SecretVersionValue & { secretString: string },
    readonly secret: TokenSecret,
    private readonly deps: OperationDeps,
  ) {}

  static async load(secretId: string, deps: OperationDeps): Promise<ManagedSecret> {
    const current = await deps.store.get(secretId, { stage: AWSCURRENT });
    const secret = parseTokenSecret(current.secretString, `token secret ${secretId}`);
    return new ManagedSecret(secretId, current as SecretVersionValue & { secretString: string }, secret, deps);
  }

  /** The AWSPREVIOUS version (read once), or undefined when there is none. */
  previous(): Promise<SecretVersionValue | undefined> {
    this.previousVersion ??= this.deps.store.tryGet(this.secretId, { stage: AWSPREVIOUS });
    return this.previousVersion;
  }

  /** Forget the cached AWSPREVIOUS after its label was removed. */
  previousGone(): void {
    this.previousVersion = Promise.resolve(undefined);
  }

  providerFor(): Promise<TokenProvider> {
    this.provider ??= this.deps.openProvider(this.secret);
    return this.provider;
  }

  /** Seconds until the current token expires; undefined when there is no token yet. */
  secondsLeft(): number | undefined {
    if (!this.secret.token || !this.secret.expiresAt) return undefined;
    return secondsUntil(this.secret.expiresAt, this.deps.clock);
  }
}

/** Whole seconds from now until an ISO-8601 instant (negative once it has passed). */
export function secondsUntil(isoInstant: string, clock: Clock): number {
  return Math.floor((Date.parse(isoInstant) - clock.now()) / 1000);
}

export interface RefreshResult {
  method: 'refresh' | 'rotate';
  versionId: string;
  /** Undefined when the rotation runs asynchronously and has not stored its value yet. */
  expiresAt?: string;
}

/**
 * Extends the current token in place where the provider can (same token, new expiry, stored as a
 * new AWSCURRENT version), else rotates. An expired, missing or refused token is rotated.
 */
export async function refreshOrRotate(
  managed: ManagedSecret,
  deps: OperationDeps,
  options: { lifetimeSeconds?: number } = {},
): Promise<RefreshResult> {
  const { secret, current } = managed;
  const lifetimeSeconds = options.lifetimeSeconds ?? secret.lifetimeSeconds;
  const secondsLeft = managed.secondsLeft();
  if (secret.token && secondsLeft !== undefined && secondsLeft > 0) {
    const provider = await managed.providerFor();
    if (await provider.supportsRefresh()) {
      try {
        const issued = await provider.refresh(secret.token, lifetimeSeconds ? { lifetimeSeconds } : {});
        // The token was issued earlier; keep that instant and record the refresh beside it.
        const next = withToken(
          current.secretString,
          { ...issued, issuedAt: secret.issuedAt ? new Date(secret.issuedAt) : issued.issuedAt },
          { refreshedAt: issued.issuedAt.toISOString() },
        );
        await managed.previous(); // read before the put moves the label
        // Only over the version this refresh started from: a rotation that finished meanwhile
        // (e.g. an operator's request because the token leaked) must not be undone.
        const versionId = await deps.store.putIfCurrent(managed.secretId, next, current.versionId);
        if (versionId === undefined) throw concurrentChange(managed.secretId, 'refreshing');
        await keepPreviousTracked(managed, deps);
        return { method: 'refresh', versionId, expiresAt: issued.expiresAt.toISOString() };
      } catch (e) {
        if (!(e instanceof RefreshUnsupportedError) && !(e instanceof TokenNotFoundError)) throw e;
        // Refused or unsupported: fall through to a rotation.
      }
    }
  }
  return rotateNow(managed.secretId, deps);
}

/** AWSCURRENT moved between our read and our write; the newer version stays and nothing was overwritten. */
export function concurrentChange(secretId: string, doing: string): RotationStateError {
  return new RotationStateError(
    `AWSCURRENT of ${secretId} changed while ${doing} (a concurrent rotation or refresh); the newer version stays current and nothing was overwritten`,
  );
}

/**
 * Writing the refreshed version makes the service move AWSPREVIOUS onto the version that was
 * current, which holds the same token. If AWSPREVIOUS was tracking an older, not yet revoked token,
 * the label is moved back to it so the sweep still revokes it after the grace period.
 */
async function keepPreviousTracked(managed: ManagedSecret, deps: OperationDeps): Promise<void> {
  const previous = await managed.previous(); // as it was before the put
  const previousToken = previous?.secretString ? stringField(previous.secretString, 'token') : undefined;
  if (!previous || !previousToken || previousToken === managed.secret.token) return;
  await deps.store.moveStage(managed.secretId, AWSPREVIOUS, previous.versionId, managed.current.versionId);
}

/** Starts a rotation through Secrets Manager and reads back the new version's expiry if it is stored already. */
export async function rotateNow(secretId: string, deps: OperationDeps): Promise<RotationStarted> {
  let versionId: string;
  try {
    versionId = await deps.store.rotate(secretId);
  } catch (e) {
    const message = (e as Error).message ?? '';
    if (isServiceError(e, 'InvalidRequestException') && /previous rotation isn't complete|rotation.*in progress/i.test(message)) {
      throw new RotationStateError(`A rotation of ${secretId} is already in progress; try again when it has finished`);
    }
    throw e;
  }
  const stored = await deps.store.tryGet(secretId, { versionId });
  const expiresAt = stored?.secretString ? stringField(stored.secretString, 'expiresAt') : undefined;
  return { method: 'rotate', versionId, ...(expiresAt ? { expiresAt } : {}) };
}

type RotationStarted = RefreshResult & { method: 'rotate' };

export type RevokeOutcome = 'revoked' | 'already-gone' | 'not-due' | 'none' | 'same-as-current';

/**
 * Revokes the AWSPREVIOUS version's token at the provider once `graceSeconds` have passed since the
 * current version was created (the rotation that replaced it), then removes the AWSPREVIOUS label
 * so the revoke happens once. Never revokes a token that is also the current one (after a refresh
 * both versions hold the same token). A failed revoke leaves the label, so the next run retries.
 */
export async function revokePrevious(
  managed: ManagedSecret,
  deps: OperationDeps,
  options: { graceSeconds: number; force?: boolean },
): Promise<RevokeOutcome> {
  if (!options.force) {
    // Decided from AWSCURRENT, already read: within the grace period AWSPREVIOUS need not be read at all.
    const rotatedAt = managed.current.createdDate?.getTime() ?? Date.parse(managed.secret.issuedAt ?? '');
    if (Number.isFinite(rotatedAt) && deps.clock.now() - rotatedAt < options.graceSeconds * 1000) return 'not-due';
  }
  const previous = await managed.previous();
  if (!previous?.secretString) return 'none';
  const previousToken = stringField(previous.secretString, 'token');
  if (!previousToken) {
    await dropPreviousLabel(managed, deps, previous.versionId);
    return 'none';
  }
  if (previousToken === managed.secret.token) return 'same-as-current';
  const { revoked } = await (await managed.providerFor()).revoke(previousToken);
  await dropPreviousLabel(managed, deps, previous.versionId);
  return revoked ? 'revoked' : 'already-gone';
}

/**
 * Removes AWSPREVIOUS from `versionId`. If the label is no longer there, a concurrent sweep (two
 * deliveries of one schedule) or a rotation got there first: the work is done, not failed.
 */
async function dropPreviousLabel(managed: ManagedSecret, deps: OperationDeps, versionId: string): Promise<void> {
  try {
    await deps.store.removeStage(managed.secretId, AWSPREVIOUS, versionId);
  } catch (e) {
    if (!isServiceError(e, 'InvalidParameterException')) throw e;
    const stages = (await deps.store.describe(managed.secretId)).versions[versionId] ?? [];
    if (stages.includes(AWSPREVIOUS)) throw e;
  }
  managed.previousGone();
}

/** Revokes a token given by the caller. The AWSCURRENT token only with force, since apps are using it. */
export async function revokeGiven(managed: ManagedSecret, token: string, force: boolean): Promise<boolean> {
  if (token === managed.secret.token && !force) {
    throw new ValidationError('force: the given token is the AWSCURRENT token that apps use; pass "force": true to delete it anyway (rotate first with "request" to avoid an outage)', 'force');
  }
  const { revoked } = await (await managed.providerFor()).revoke(token);
  return revoked;
}

export interface TokenStatus {
  secretId: string;
  versionId: string;
  expiresAt: string | null;
  secondsLeft: number | null;
  issuedAt: string | null;
  tigergraphVersion: string;
}

/** Metadata and expiry only: no provider call, no token value. */
export function statusOf(managed: ManagedSecret): TokenStatus {
  const { secret } = managed;
  const detected = (secret as Record<string, unknown>).providerVersion;
  return {
    secretId: managed.secretId,
    versionId: managed.current.versionId,
    expiresAt: secret.expiresAt ?? null,
    secondsLeft: managed.secondsLeft() ?? null,
    issuedAt: secret.issuedAt ?? null,
    tigergraphVersion: typeof detected === 'string' ? detected : secret.tigergraphVersion,
  };
}
