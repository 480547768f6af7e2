/**
 * The Secrets Manager four-step rotation, provider-agnostic. It follows AWS's rotation templates
 * (check the version's stages before any step, every step idempotent) and closes their gaps:
 * a token minted but not stored is revoked, AWSPENDING never lingers, and the previous token is
 * left valid for consumers still holding it (the scheduled function revokes it after a grace period).
 */
import type { Clock } from '../clock.js';
import type { OpenProvider } from '../connection.js';
import { RotationStateError, TokenNotFoundError } from '../errors.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, isServiceError, versionWithStage, type SecretDescription, type SecretStore } from '../secrets/store.js';
import { parseTokenSecret, stringField, withToken, type TokenSecret } from '../token-secret.js';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

export interface RotationRequest {
  secretId: string;
  clientRequestToken: string;
  step: RotationStep;
  rotationToken?: string;
}

export interface RotationDeps {
  store: SecretStore;
  openProvider: OpenProvider;
  clock: Clock;
  /** Structured progress events; never given token or secret values. */
  log?: (message: string, fields: Record<string, unknown>) => void;
}

export type StepOutcome =
  | 'created'
  | 'already-created'
  | 'nothing-to-set'
  | 'tested'
  | 'finished'
  | 'already-current';

export interface StepResult {
  step: RotationStep;
  versionId: string;
  outcome: StepOutcome;
  expiresAt?: string;
}

export async function runRotationStep(request: RotationRequest, deps: RotationDeps): Promise<StepResult> {
  const { secretId, clientRequestToken: versionId, step } = request;
  const description = await deps.store.describe(secretId);
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
      return createSecret(request, description, deps);
    case 'setSecret':
      // Nothing to set at the provider: the token exists from the moment createSecret minted it.
      return { step, versionId, outcome: 'nothing-to-set' };
    case 'testSecret':
      return testSecret(request, description, deps);
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

async function createSecret(request: RotationRequest, description: SecretDescription, deps: RotationDeps): Promise<StepResult> {
  const { clientRequestToken: versionId } = request;
  const arn = description.arn;
  const existing = await deps.store.tryGet(arn, { versionId, stage: AWSPENDING });
  if (existing?.secretString) {
    return { step: 'createSecret', versionId, outcome: 'already-created', ...expiryOf(existing.secretString) };
  }
  const current = await deps.store.get(arn, { stage: AWSCURRENT });
  const secret = parseTokenSecret(current.secretString, `token secret ${description.name} (AWSCURRENT)`);
  const provider = await deps.openProvider(secret);
  const issued = await provider.issue(secret.lifetimeSeconds ? { lifetimeSeconds: secret.lifetimeSeconds } : {});
  // Record the API version the provider spoke, so status can report it without a server call.
  const next = withToken(current.secretString as string, issued, { providerVersion: await provider.version() });
  try {
    await deps.store.put(arn, next, {
      clientRequestToken: versionId,
      stages: [AWSPENDING],
      ...(request.rotationToken ? { rotationToken: request.rotationToken } : {}),
    });
  } catch (e) {
    // The token was minted but not stored: revoke it so no orphan stays valid at the provider.
    const revoked = await provider.revoke(issued.token).then(
      () => true,
      () => false,
    );
    deps.log?.('pending value not stored; minted token revoked', { secretId: description.name, versionId, orphanRevoked: revoked });
    // A concurrent createSecret for the same version may have won the race: that is success.
    if (isServiceError(e, 'ResourceExistsException')) {
      const winner = await deps.store.tryGet(arn, { versionId, stage: AWSPENDING });
      if (winner?.secretString) return { step: 'createSecret', versionId, outcome: 'already-created', ...expiryOf(winner.secretString) };
    }
    throw e;
  }
  return { step: 'createSecret', versionId, outcome: 'created', expiresAt: issued.expiresAt.toISOString() };
}

/** The AWSPENDING value createSecret wrote, with an unexpired token; throws when there is none. */
async function pendingValue(versionId: string, description: SecretDescription, deps: RotationDeps) {
  const pending = await deps.store.tryGet(description.arn, { versionId, stage: AWSPENDING });
  if (!pending?.secretString) {
    throw new RotationStateError(`Version ${versionId} of secret ${description.name} has no value yet: createSecret has not completed`);
  }
  const secret = parseTokenSecret(pending.secretString, `token secret ${description.name} (AWSPENDING)`);
  if (!secret.token) {
    throw new RotationStateError(`Version ${versionId} of secret ${description.name} has no token field: createSecret did not write it`);
  }
  if (secret.expiresAt && Date.parse(secret.expiresAt) <= deps.clock.now()) {
    // Versions are immutable, so retrying this version could never succeed and every new rotation
    // would be refused as "in progress": abandon it so the next rotation starts afresh.
    await deps.store.removeStage(description.arn, AWSPENDING, versionId);
    throw new TokenNotFoundError(
      `The pending token of secret ${description.name} expired at ${secret.expiresAt} before the rotation finished; ` +
        'this rotation was abandoned (AWSPENDING removed) and the next rotation starts afresh',
    );
  }
  return { secretString: pending.secretString, secret, token: secret.token };
}

async function testSecret(request: RotationRequest, description: SecretDescription, deps: RotationDeps): Promise<StepResult> {
  const { clientRequestToken: versionId } = request;
  const pending = await pendingValue(versionId, description, deps);
  const secret = pending.secret;
  const provider = await deps.openProvider(secret);
  if (!(await provider.verify(pending.token))) {
    throw new TokenNotFoundError(
      `The server refused the pending token of secret ${description.name} on an authenticated call; check that REST++ authentication is enabled and the graph is right`,
    );
  }
  return { step: 'testSecret', versionId, outcome: 'tested', ...expiryOf(pending.secretString) };
}

async function finishSecret(request: RotationRequest, description: SecretDescription, deps: RotationDeps): Promise<StepResult> {
  const { clientRequestToken: versionId } = request;
  // Never make a version current that holds no usable token (a finishSecret out of order, say):
  // consumers would read a secret without a token.
  const pending = await pendingValue(versionId, description, deps);
  const currentVersion = versionWithStage(description.versions, AWSCURRENT);
  await revokeDisplacedPrevious(description, currentVersion, pending, deps);
  // AWSPREVIOUS follows AWSCURRENT automatically; the previous token stays valid until revoked after the grace period.
  await deps.store.moveStage(description.arn, AWSCURRENT, versionId, currentVersion);
  await removePendingEverywhere(description, deps);
  return { step: 'finishSecret', versionId, outcome: 'finished' };
}

/**
 * Moving AWSCURRENT makes the current version AWSPREVIOUS and takes the label off the version that
 * had it. The scheduled sweep removes AWSPREVIOUS once it has revoked that token, so a label still
 * there means a token not yet revoked (two rotations within one grace period). Once unlabelled,
 * nothing would ever revoke it, so it is revoked now: two generations old, it is not what any
 * consumer reading AWSCURRENT holds. Best effort: a failure is logged, never fails the rotation.
 */
async function revokeDisplacedPrevious(
  description: SecretDescription,
  currentVersion: string | undefined,
  pending: { secret: TokenSecret; token: string },
  deps: RotationDeps,
): Promise<void> {
  const previousVersion = versionWithStage(description.versions, AWSPREVIOUS);
  if (!previousVersion || previousVersion === currentVersion) return;
  const previous = await deps.store.tryGet(description.arn, { versionId: previousVersion });
  const previousToken = previous?.secretString ? stringField(previous.secretString, 'token') : undefined;
  if (!previousToken || previousToken === pending.token) return;
  const current = currentVersion ? await deps.store.tryGet(description.arn, { versionId: currentVersion }) : undefined;
  if (current?.secretString && stringField(current.secretString, 'token') === previousToken) return; // still in use
  try {
    const { revoked } = await (await deps.openProvider(pending.secret)).revoke(previousToken);
    deps.log?.('displaced previous token revoked', { secretId: description.name, versionId: previousVersion, revoked });
  } catch (e) {
    deps.log?.('displaced previous token could not be revoked; it stays valid until it expires', {
      secretId: description.name,
      versionId: previousVersion,
      errorName: (e as Error).name,
      errorMessage: (e as Error).message,
    });
  }
}

async function removePendingEverywhere(description: SecretDescription, deps: RotationDeps): Promise<void> {
  for (const [version, stages] of Object.entries(description.versions)) {
    if (stages.includes(AWSPENDING)) await deps.store.removeStage(description.arn, AWSPENDING, version);
  }
}
function expiryOf(secretString: string): { expiresAt?: string } {
  const expiresAt = stringField(secretString, 'expiresAt');
  return expiresAt ? { expiresAt } : {};
}
