/**
 * The Secrets Manager four-step rotation, provider-agnostic. It follows AWS's rotation templates
 * (check the version's stages before any step, every step idempotent) and closes their gaps:
 * a token minted but not stored is revoked where the provider can, AWSPENDING never lingers, and
 * replaced tokens stay valid for consumers still holding them: the sweep revokes them after the
 * grace period (core/operations/settle.ts). A replaced token that is not revoked yet stays
 * tracked: AWSPREVIOUS for the one just replaced, `retiredVersionIds` in the new value for older
 * ones that the move of AWSPREVIOUS would otherwise leave unlabelled.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deps } from '../deps.js';
import type { IssuedToken, IssueRequest, TokenProvider } from '../providers/provider.js';
import { CredentialNotSetError, RotationStateError, TokenNotFoundError } from '../errors.js';
import { emitChange, reasonOf } from '../events.js';
import { RENEWAL_REASON_TAG, ROTATION_ERROR_TAG } from '../names.js';
import { AWSCURRENT, AWSPENDING, isServiceError, MINTED, versionWithStage, type SecretDescription, type SecretVersionValue } from '../secrets/store.js';
import { heldToken, parseTokenSecret, recordedExpiry, withIssuedToken } from '../secrets/token-secret.js';
import { assertOwned, type FleetSource } from '../operations/fleet.js';
import { lazyFleetIndex, NO_OTHER_HOLDERS, revokeUnstored, type UnstoredOutcome } from '../operations/holders.js';
import { retiredVersionIds } from '../operations/write-current.js';
import { DEFAULT_SETTINGS, settingsFor, type OperationalSettings } from '../settings.js';
import { formatFailureRecord } from './failure-record.js';
import { proveFreshToken } from './patience.js';
import { refusedPendingToken } from './pending-attempts.js';
import { unfinishedMintVersionIds } from './unfinished-mints.js';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

/** Mints after the first that returned the current token again (each a second later). */
const SAME_TOKEN_RETRIES = 2;
export type RotationStep = (typeof ROTATION_STEPS)[number];

export interface RotationRequest {
  secretId: string;
  clientRequestToken: string;
  step: RotationStep;
  rotationToken?: string;
}

export interface RotationStepOptions {
  /**
   * The managed secrets (the stack's ids, or the tag): a step for any other secret is refused
   * (NotOwnedError) before anything is read or written. createSecret's clean-up of a token it could
   * not store reads their current tokens, when the provider's tokens can collide, so it never
   * revokes one another secret holds as current. Without it neither check is made (tests).
   */
  fleet?: FleetSource;
  /**
   * The settings (the SSM parameter): `pendingTokenAttempts` bounds the re-drives of a refused
   * pending token (pending-attempts.ts). Default: DEFAULT_SETTINGS.
   */
  settings?: OperationalSettings;
  /** Milliseconds the invocation has left: testSecret's patience for a new token never outlasts it. */
  remainingTimeMs?: () => number;
}

export type StepOutcome = 'created' | 'already-created' | 'nothing-to-set' | 'nothing-to-test' | 'tested' | 'finished' | 'already-current';

export interface StepResult {
  step: RotationStep;
  versionId: string;
  outcome: StepOutcome;
  /** The new token's expiry; null when it never expires. */
  expiresAt?: string | null;
}

/**
 * Runs one step. A step that fails throws, leaving AWSCURRENT untouched; the failure is also
 * recorded on the secret (recordRotationFailure) for on-demand `request` to report.
 */
export async function runRotationStep(request: RotationRequest, deps: Deps, options: RotationStepOptions = {}): Promise<StepResult> {
  const description = await deps.store.describe(request.secretId);
  // Secrets Manager invokes the function for any secret whose rotation names it: act only on the
  // deployment's own, and record nothing on another's.
  if (options.fleet) assertOwned(options.fleet, description.arn);
  try {
    return await runStep(request, description, deps, options);
  } catch (e) {
    await recordRotationFailure(request, e, deps);
    await emitChange(deps, e instanceof CredentialNotSetError ? 'Credential Not Set' : 'Rotation Failed', {
      secretArn: description.arn,
      versionId: request.clientRequestToken,
      reason: `${request.step}: ${reasonOf(e)}`,
    });
    throw e;
  }
}

async function runStep(request: RotationRequest, description: SecretDescription, deps: Deps, options: RotationStepOptions): Promise<StepResult> {
  const { clientRequestToken: versionId, step } = request;
  const stages = checkVersion(description, versionId);
  if (stages.includes(AWSCURRENT)) {
    // A retried finishSecret may find the move done but AWSPENDING still attached to this version:
    // finish the cleanup. Only on this version: AWSPENDING on another one belongs to a newer
    // rotation in progress, which a late duplicate of this step must not break.
    if (step === 'finishSecret' && stages.includes(AWSPENDING)) await deps.store.removeStage(description.arn, AWSPENDING, versionId);
    return { step, versionId, outcome: 'already-current' };
  }
  switch (step) {
    case 'createSecret':
      return createSecret(request, description, deps, options);
    case 'setSecret':
      // Nothing to set at the provider: the token exists from the moment createSecret minted it.
      return { step, versionId, outcome: 'nothing-to-set' };
    case 'testSecret':
      return testSecret(request, description, deps, options);
    case 'finishSecret':
      return finishSecret(request, description, deps);
  }
}

/** Like AWS's template: rotation enabled, the token is a version of this secret, and it is pending or current. */
function checkVersion(description: SecretDescription, versionId: string): string[] {
  if (!description.rotationEnabled) {
    throw new RotationStateError(`Secret ${description.name} is not enabled for rotation; enable rotation (RotateSecret with a rotation function) first`);
  }
  const stages = description.versions[versionId];
  if (!stages) {
    throw new RotationStateError(`ClientRequestToken ${versionId} is not a version of secret ${description.name}; start rotations with RotateSecret`);
  }
  if (!stages.includes(AWSCURRENT) && !stages.includes(AWSPENDING)) {
    throw new RotationStateError(`Version ${versionId} of secret ${description.name} is neither AWSPENDING nor AWSCURRENT (stages: ${stages.join(', ') || 'none'}); it cannot be rotated to`);
  }
  return stages;
}

async function createSecret(request: RotationRequest, description: SecretDescription, deps: Deps, options: RotationStepOptions): Promise<StepResult> {
  const { clientRequestToken: versionId } = request;
  const arn = description.arn;
  const existing = await deps.store.tryGet(arn, { versionId, stage: AWSPENDING });
  if (existing?.secretString) {
    return { step: 'createSecret', versionId, outcome: 'already-created', ...expiryOf(existing.secretString) };
  }
  const current = await deps.store.get(arn, { stage: AWSCURRENT });
  const secret = parseTokenSecret(current.secretString, `token secret ${description.name} (AWSCURRENT)`);
  const definition = deps.providers.definition(secret);
  const provider = await deps.providers.open(secret, { arn: description.arn, what: `token secret ${description.name}` });
  const lifetimeSeconds = secret.lifetimeSeconds ?? definition.defaultLifetimeSeconds;
  const issueRequest = { ...(lifetimeSeconds !== undefined ? { lifetimeSeconds } : {}), purpose: { secretName: description.name, versionId } };
  const issued = await mintUnlikeCurrent(provider, issueRequest, secret.token, description.name);
  const retired = [
    ...new Set([
      ...retiredVersionIds({ versionId: current.versionId, secretString: current.secretString as string }, description),
      // A token minted into a version that never became current stays tracked (unfinished-mints.ts).
      ...(await unfinishedMintVersionIds(description, secret.token, deps, definition.tokenFields)),
    ]),
  ];
  // Record the API version the provider spoke, so status can report it without a server call.
  const next = withIssuedToken(current.secretString as string, issued, {
    tokenFields: definition.tokenFields,
    extra: { providerVersion: await provider.version(), retiredVersionIds: retired.length > 0 ? retired : undefined, refreshedAt: undefined },
  });
  try {
    await deps.store.put(arn, next, {
      clientRequestToken: versionId,
      // MINTED marks the version this token went into, for the next rotation (unfinished-mints.ts).
      stages: [AWSPENDING, MINTED],
      ...(request.rotationToken ? { rotationToken: request.rotationToken } : {}),
    });
  } catch (e) {
    // The token was minted but not stored: revoke it, unless another secret may hold it. Outside
    // a deployment (no fleet: tests, scripts) there is no other secret to hold it.
    const orphan = await revokeUnstored(provider, issued, { secretArn: arn, index: options.fleet ? lazyFleetIndex(options.fleet, deps) : NO_OTHER_HOLDERS });
    logOrphan(deps, { secretId: description.name, versionId }, issued, orphan);
    // A concurrent createSecret for the same version may have won the race: that is success.
    if (isServiceError(e, 'ResourceExistsException')) {
      const winner = await deps.store.tryGet(arn, { versionId, stage: AWSPENDING });
      if (winner?.secretString) return { step: 'createSecret', versionId, outcome: 'already-created', ...expiryOf(winner.secretString) };
    }
    throw e;
  }
  return { step: 'createSecret', versionId, outcome: 'created', expiresAt: issued.expiresAt?.toISOString() ?? null };
}

/**
 * A new token unlike the current one. JWTs minted in the same second for the same subject can be
 * byte-identical (ICA, TigerGraph 4.x): a rotation right after the last one could hand back the
 * current token, and a rotation requested because that token leaked would change nothing. Mint
 * again in the next second.
 */
async function mintUnlikeCurrent(provider: TokenProvider, request: IssueRequest, current: string | undefined, secretName: string): Promise<IssuedToken> {
  let issued = await provider.issue(request);
  for (let attempt = 1; issued.token === current && attempt <= SAME_TOKEN_RETRIES; attempt++) {
    await sleep(1_100);
    issued = await provider.issue(request);
  }
  if (issued.token === current) {
    throw new RotationStateError(`The ${provider.name} server minted the current token of ${secretName} again; the rotation is retried later`);
  }
  return issued;
}

/** What createSecret did with a token it minted but could not store (no token in the entry). */
function logOrphan(deps: Deps, at: { secretId: string; versionId: string }, issued: IssuedToken, orphan: UnstoredOutcome): void {
  deps.log?.(
    orphan.heldElsewhere === false
      ? 'pending value not stored; minted token revoked where the provider can'
      : 'pending value not stored; minted token not revoked: orphan held elsewhere (another secret holds it as current, or that could not be checked)',
    {
      ...at,
      orphanRevoked: orphan.revoked,
      ...(orphan.heldElsewhere !== false ? { orphanHeldElsewhere: orphan.heldElsewhere } : {}),
      ...(!orphan.revocable || orphan.heldElsewhere !== false ? { orphanExpiresAt: issued.expiresAt?.toISOString() ?? null } : {}),
    },
  );
}

/** The AWSPENDING value createSecret wrote (`read` already, or read now), with an unexpired token; throws when there is none. */
async function pendingValue(versionId: string, description: SecretDescription, deps: Deps, read?: SecretVersionValue) {
  const pending = read ?? (await deps.store.tryGet(description.arn, { versionId, stage: AWSPENDING }));
  if (!pending?.secretString) {
    throw new RotationStateError(`Version ${versionId} of secret ${description.name} has no value yet: createSecret has not completed`);
  }
  const secret = parseTokenSecret(pending.secretString, `token secret ${description.name} (AWSPENDING)`);
  const held = heldToken(pending.secretString, deps.providers.definition(secret).tokenFields);
  if (!held) {
    throw new RotationStateError(`Version ${versionId} of secret ${description.name} has no token field: createSecret did not write it`);
  }
  if (held.expiresAt && held.expiresAt.getTime() <= deps.clock.now()) {
    // Versions are immutable, so retrying this version could never succeed and every new rotation
    // would be refused as "in progress": abandon it so the next rotation starts afresh.
    await deps.store.removeStage(description.arn, AWSPENDING, versionId);
    throw new TokenNotFoundError(
      `The pending token of secret ${description.name} expired at ${held.expiresAt.toISOString()} before the rotation finished; ` +
        'this rotation was abandoned (AWSPENDING removed) and the next rotation starts afresh',
    );
  }
  return { secretString: pending.secretString, secret, held };
}

async function testSecret(request: RotationRequest, description: SecretDescription, deps: Deps, options: RotationStepOptions): Promise<StepResult> {
  const { clientRequestToken: versionId } = request;
  const stored = await deps.store.tryGet(description.arn, { versionId, stage: AWSPENDING });
  // Secrets Manager's configuration test (RotateSecret with RotateImmediately false, which a
  // CloudFormation update of the rotation schedule makes: rotateImmediatelyOnUpdate is false,
  // infra/construct.ts) runs testSecret alone on an AWSPENDING version without a value: nothing to
  // test and nothing changed, not a failure. finishSecret still refuses such a version.
  if (!stored?.secretString) return { step: 'testSecret', versionId, outcome: 'nothing-to-test' };
  const pending = await pendingValue(versionId, description, deps, stored);
  const provider = await deps.providers.open(pending.secret, { arn: description.arn, what: `token secret ${description.name}` });
  const settings = settingsFor(pending.secret, options.settings ?? DEFAULT_SETTINGS);
  // A token minted a moment ago may not be accepted yet (clock skew, propagation): retried a while.
  const proof = await proveFreshToken(provider, pending.held, { seconds: settings.newTokenPatienceSeconds, ...(options.remainingTimeMs ? { remainingTimeMs: options.remainingTimeMs } : {}) });
  if (proof.tries > 1) deps.log?.('pending token tried more than once', { secretId: description.name, versionId, tries: proof.tries, waitedMs: Math.round(proof.waitedMs), accepted: proof.accepted });
  if (!proof.accepted) {
    // Counted, and abandoned for a fresh token after `pendingTokenAttempts` refusals.
    await refusedPendingToken({ versionId, description, held: pending.held, provider, settings, ...(options.fleet ? { fleet: options.fleet } : {}) }, deps);
  }
  return { step: 'testSecret', versionId, outcome: 'tested', ...expiryOf(pending.secretString) };
}

async function finishSecret(request: RotationRequest, description: SecretDescription, deps: Deps): Promise<StepResult> {
  const { clientRequestToken: versionId } = request;
  // Never make a version current that holds no usable token (a finishSecret out of order, say):
  // consumers would read a secret without a token.
  const pending = await pendingValue(versionId, description, deps);
  const currentVersion = versionWithStage(description.versions, AWSCURRENT);
  // AWSPREVIOUS follows AWSCURRENT automatically; the replaced token stays valid until the sweep
  // revokes it after the grace period (older unrevoked ones are listed in retiredVersionIds).
  await deps.store.moveStage(description.arn, AWSCURRENT, versionId, currentVersion);
  for (const [version, stages] of Object.entries(description.versions)) {
    if (stages.includes(AWSPENDING)) await deps.store.removeStage(description.arn, AWSPENDING, version);
  }
  // A rotation succeeded: the last failure no longer describes the secret, and a renewal reason
  // the sweep left (core/operations/reported.ts) has been told, below. Best effort.
  const told = [ROTATION_ERROR_TAG, RENEWAL_REASON_TAG].filter((tag) => description.tags[tag] !== undefined);
  if (told.length > 0) await deps.store.untag(description.arn, told).catch(() => undefined);
  const reason = description.tags[RENEWAL_REASON_TAG];
  await emitChange(deps, 'Token Rotated', {
    secretArn: description.arn,
    provider: pending.secret.provider,
    versionId,
    ...(currentVersion ? { previousVersionId: currentVersion } : {}),
    ...expiryOf(pending.secretString),
    ...(reason ? { reason } : {}),
  });
  return { step: 'finishSecret', versionId, outcome: 'finished' };
}

/**
 * Tags the secret with the failed step and a sanitized reason (no token or credential: messages of
 * this product never carry one), so on-demand `request`, which on AWS only starts a rotation, can
 * report why it failed. Tag values allow few characters: the rest become spaces. Best effort.
 */
async function recordRotationFailure(request: RotationRequest, error: unknown, deps: Deps): Promise<void> {
  // The wall-clock instant ends the record (failure-record.ts), so a retry of the same version that
  // fails the same way is still a new record (rotate-now.ts tells a re-driven rotation's outcome from the old one).
  const value = formatFailureRecord(request.clientRequestToken, request.step, error);
  await deps.store.tag(request.secretId, { [ROTATION_ERROR_TAG]: value }).catch(() => undefined);
}

function expiryOf(secretString: string): { expiresAt?: string | null } {
  const expiresAt = recordedExpiry(secretString);
  return expiresAt === undefined ? {} : { expiresAt };
}
