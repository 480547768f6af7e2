/**
 * The on-demand actions (docs/CONTRACT.md): request (rotate now and wait a bounded time for the
 * outcome), refresh, delete (revoke a token at the provider), status (one secret, or the whole
 * fleet), pause and resume (pause.ts), plan (the next sweep, dry: dry-run.ts) and rollback
 * (rollback.ts). No result ever holds a token value.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';
import type { Deps } from '../deps.js';
import { toValidationError, ValidationError } from '../errors.js';
import { emitChange, reasonOf } from '../events.js';
import type { HeldToken, RevokeOutcome } from '../providers/provider.js';
import { lifetimeSeconds, nonEmpty } from '../secrets/fields.js';
import { AWSPREVIOUS } from '../secrets/store.js';
import { heldToken, secretJson } from '../secrets/token-secret.js';
import type { OperationalSettings } from '../settings.js';
import { assertOwned, type FleetSource } from './fleet.js';
import { lazyFleetIndex } from './holders.js';
import { loadManaged, type ManagedSecret } from './managed-secret.js';
import { planNextSweep, type PlanResult } from './dry-run.js';
import { MAX_PAUSE_SECONDS, pause, resume, type PauseResult, type ResumeResult } from './pause.js';
import { renew, settleReported } from './reported.js';
import { rollback, type RollbackResult } from './rollback.js';
import { rotateNow, type RotationWait } from './rotate-now.js';
import { fleetStatus, type FleetStatus } from './status.js';
import { detailedStatus, type DetailedStatus } from './status-detail.js';
import { writeCurrent } from './write-current.js';

export const ON_DEMAND_ACTIONS = ['request', 'refresh', 'delete', 'status', 'pause', 'resume', 'plan', 'rollback'] as const;
/** Actions that act on the fleet without a secretId. */
const FLEET_ACTIONS: ReadonlySet<string> = new Set(['status', 'plan']);
/** Actions that must say why (the reason goes into the change event, and the pause's record). */
const REASONED_ACTIONS: ReadonlySet<string> = new Set(['pause', 'rollback']);

/** A SHA-256 digest in hex, as `sha256sum` and `openssl dgst -sha256` print it. */
const SHA256_HEX = /^[0-9a-f]{64}$/;
const TOKEN_SHA256_EXPECTED = 'expected the SHA-256 of the token as 64 lower-case hex characters (printf %s "$TOKEN" | sha256sum)';
const RAW_TOKEN_REFUSED =
  'a raw token is not accepted (the event would keep it in logs and failure queues): ' +
  'name the token by versionId (the secret version that holds it) or by tokenSha256 (its SHA-256, 64 lower-case hex characters)';

export const onDemandEventSchema = z
  .strictObject({
    action: z.enum(ON_DEMAND_ACTIONS),
    secretId: z.optional(nonEmpty()),
    lifetimeSeconds: z.optional(lifetimeSeconds()),
    /** delete: the version whose token to revoke. */
    versionId: z.optional(nonEmpty()),
    /** delete: the SHA-256 of the token to revoke, which a version of the secret holds. */
    tokenSha256: z.optional(z.string().check(z.regex(SHA256_HEX, TOKEN_SHA256_EXPECTED))),
    /**
     * Refused whatever its value: an event is kept where a token must not be (a failed async
     * invoke parks it in the failure queue for 14 days), so `delete` names a token by versionId or
     * tokenSha256 only. Listed here so the refusal names those fields instead of "unexpected field".
     */
    token: z.optional(z.custom<never>(() => false, { message: RAW_TOKEN_REFUSED })),
    force: z.optional(z.boolean()),
    /** fleet status: continue after a previous page. */
    nextToken: z.optional(nonEmpty()),
    /** fleet status: how many of the soonest expiries to list (default 20). */
    limit: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(1_000))),
    /** pause, resume, rollback: why (required for pause and rollback). */
    reason: z.optional(z.string().check(z.minLength(1), z.maxLength(500))),
    /** pause: how long until it ends on its own (default a day). */
    durationSeconds: z.optional(z.number().check(z.int(), z.minimum(60), z.maximum(MAX_PAUSE_SECONDS))),
  })
  .check(
    z.superRefine((event, ctx) => {
      if (!FLEET_ACTIONS.has(event.action) && event.secretId === undefined) {
        ctx.addIssue({ code: 'custom', path: ['secretId'], message: `expected a non-empty string (required for "${event.action}")` });
      }
      if (REASONED_ACTIONS.has(event.action) && event.reason === undefined) {
        ctx.addIssue({ code: 'custom', path: ['reason'], message: `expected a non-empty string saying why (required for "${event.action}")` });
      }
      if (event.durationSeconds !== undefined && event.action !== 'pause') {
        ctx.addIssue({ code: 'custom', path: ['durationSeconds'], message: 'expected only with "pause"' });
      }
      if (event.versionId !== undefined && event.tokenSha256 !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['tokenSha256'], message: 'expected either versionId or tokenSha256, not both' });
      }
    }),
  );

export type OnDemandEvent = z.infer<typeof onDemandEventSchema>;

export type OnDemandResult =
  | { versionId: string; expiresAt: string | null; state: 'finished' | 'pending' }
  | { expiresAt: string | null; method: 'refresh' | 'rotate'; state: 'finished' | 'pending' }
  | { deleted: boolean; outcome: RevokeOutcome | 'not-revocable' | 'nothing-to-delete'; message?: string }
  | DetailedStatus
  | FleetStatus
  | PauseResult
  | ResumeResult
  | PlanResult
  | RollbackResult;

export function parseOnDemandEvent(event: unknown): OnDemandEvent {
  const parsed = onDemandEventSchema.safeParse(event);
  if (!parsed.success) throw toValidationError('on-demand event', parsed.error);
  return parsed.data;
}

export interface OnDemandContext {
  /** The operational settings: needed only for the events usesSettings() names (the handler reads SSM only then). */
  settings?: OperationalSettings;
  /** The managed secrets (the stack's ids, or the tag): the only secrets acted on, fleet status, and the revoke guard for tokens that can collide. */
  fleet: FleetSource;
  /** How long `request` and a rotating `refresh` wait for the rotation's outcome. */
  wait: RotationWait;
}

/**
 * Whether performOnDemand reads the operational settings for `event`: fleet status (due and
 * expiring counts), plan, rollback (the refresh window) and a delete of every replaced token
 * (settle). Status of one secret, pause, resume, request,
 * refresh and a delete by version or digest do not, so the handler skips the SSM read for them.
 */
export function usesSettings(event: OnDemandEvent): boolean {
  if (event.secretId === undefined || event.action === 'plan' || event.action === 'rollback') return true;
  return event.action === 'delete' && event.versionId === undefined && event.tokenSha256 === undefined;
}

function settingsOf(ctx: OnDemandContext): OperationalSettings {
  if (!ctx.settings) throw new Error('on-demand: the settings were not loaded for an event that uses them (usesSettings)');
  return ctx.settings;
}

export async function performOnDemand(event: OnDemandEvent, deps: Deps, ctx: OnDemandContext): Promise<OnDemandResult> {
  if (event.secretId === undefined) {
    if (event.action === 'plan') return planNextSweep(ctx.fleet, deps, { settings: settingsOf(ctx), fleet: ctx.fleet });
    return fleetStatus(ctx.fleet, deps, { settings: settingsOf(ctx), ...(event.limit ? { limit: event.limit } : {}), ...(event.nextToken ? { nextToken: event.nextToken } : {}) });
  }
  const managed = await loadManaged(event.secretId, deps.store);
  // The secret may be named by name or partial ARN: ownership is checked on the ARN it resolved to.
  assertOwned(ctx.fleet, managed.arn);
  switch (event.action) {
    case 'status':
      return detailedStatus(managed, deps);
    case 'pause':
      return pause(managed, deps, { reason: event.reason as string, ...(event.durationSeconds !== undefined ? { durationSeconds: event.durationSeconds } : {}) });
    case 'resume':
      return resume(managed, deps);
    case 'plan':
      return planNextSweep({ kind: 'ids', ids: [managed.arn] }, deps, { settings: settingsOf(ctx), fleet: ctx.fleet, everySecret: true });
    case 'rollback':
      return rollback(managed, deps, { reason: event.reason as string, settings: settingsOf(ctx) });
    case 'request': {
      let target = managed;
      if (event.lifetimeSeconds !== undefined && event.lifetimeSeconds !== managed.secret.lifetimeSeconds) {
        // The rotation reads the lifetime from AWSCURRENT, so it is recorded there first (same token).
        const json = secretJson(managed.current.secretString) ?? {};
        await writeCurrent(managed, deps, JSON.stringify({ ...json, lifetimeSeconds: event.lifetimeSeconds }), 'recording the new lifetime');
        target = await loadManaged(event.secretId, deps.store);
      }
      const result = await rotateNow(target.secretId, deps, ctx.wait);
      return { versionId: result.versionId, expiresAt: result.expiresAt ?? null, state: result.state };
    }
    case 'refresh': {
      const result = await renew(managed, deps, {
        ...(event.lifetimeSeconds !== undefined ? { lifetimeSeconds: event.lifetimeSeconds } : {}),
        wait: ctx.wait,
        // Read only if a new token that could not be stored may be another secret's current one.
        index: lazyFleetIndex(ctx.fleet, deps),
      });
      return { expiresAt: result.expiresAt ?? null, method: result.method, state: result.method === 'refresh' ? 'finished' : result.state };
    }
    case 'delete':
      return deleteToken(managed, event, deps, ctx);
  }
}

/** Revokes the token of `versionId` or `tokenSha256`, or (neither given) every replaced token not revoked yet. */
async function deleteToken(managed: ManagedSecret, event: OnDemandEvent, deps: Deps, ctx: OnDemandContext): Promise<OnDemandResult> {
  const index = lazyFleetIndex(ctx.fleet, deps);
  if (event.versionId === undefined && event.tokenSha256 === undefined) {
    const report = await settleReported(managed, deps, { settings: settingsOf(ctx), force: true, index });
    if (report.error !== undefined) throw report.error;
    const fates = report.fates.map((f) => f.fate);
    if (fates.includes('revoked')) return { deleted: true, outcome: 'revoked' };
    if (fates.includes('already-gone')) return { deleted: false, outcome: 'already-gone' };
    if (fates.includes('expiring')) return { deleted: false, outcome: 'not-revocable', message: `${managed.secret.provider} cannot revoke tokens; the replaced token expires on its own` };
    return { deleted: false, outcome: 'nothing-to-delete', message: 'no replaced token is waiting to be revoked' };
  }
  const definition = deps.providers.definition(managed.secret);
  let held =
    event.versionId !== undefined
      ? await tokenOfVersion(managed, event.versionId, deps, definition.tokenFields)
      : await tokenWithDigest(managed, event.tokenSha256 as string, deps, definition.tokenFields);
  if (held.token === managed.secret.token) {
    if (event.force !== true) {
      throw new ValidationError(
        'force: the given token is the AWSCURRENT token that apps use; pass "force": true to delete it anyway (rotate first with "request" to avoid an outage)',
        'force',
      );
    }
    held = heldToken(managed.current.secretString, definition.tokenFields) ?? held;
  }
  const provider = await deps.providers.open(managed.secret, { arn: managed.arn, what: `token secret ${managed.secretId}` });
  const capabilities = await provider.capabilities();
  const facts = { secretArn: managed.arn, provider: managed.secret.provider, ...(event.versionId !== undefined ? { versionId: event.versionId } : {}) };
  if (capabilities.revoke === 'none') {
    await emitChange(deps, 'Token Left To Expire', { ...facts, ...(held.expiresAt !== undefined ? { expiresAt: held.expiresAt?.toISOString() ?? null } : {}) });
    return { deleted: false, outcome: 'not-revocable', message: `${definition.name} cannot revoke tokens: the token stays valid until it expires${held.expiresAt ? ` (${held.expiresAt.toISOString()})` : ''}` };
  }
  if (capabilities.tokensMayCollide && event.force !== true && (await index.heldElsewhere(held.token, managed.arn))) {
    throw new ValidationError(
      'force: another managed secret holds this same token as its current token (tokens minted in the same second can be identical); ' +
        'rotate that secret first with "request", or pass "force": true to revoke it anyway',
      'force',
    );
  }
  let outcome: RevokeOutcome;
  try {
    outcome = await provider.revoke(held);
  } catch (e) {
    await emitChange(deps, 'Revoke Failed', { ...facts, reason: reasonOf(e) });
    throw e;
  }
  await emitChange(deps, 'Token Revoked', { ...facts, outcome });
  return { deleted: outcome === 'revoked', outcome };
}

async function tokenOfVersion(managed: ManagedSecret, versionId: string, deps: Deps, tokenFields: readonly string[]): Promise<HeldToken> {
  const version = await deps.store.tryGet(managed.secretId, { versionId });
  if (!version) throw new ValidationError(`versionId: ${versionId} is not a version of ${managed.secretId} (or it holds no value)`, 'versionId');
  const held = heldToken(version.secretString, tokenFields);
  if (!held) throw new ValidationError(`versionId: version ${versionId} of ${managed.secretId} holds no token`, 'versionId');
  return held;
}

/**
 * The token whose SHA-256 is `digestHex`, among those the secret still tracks: AWSCURRENT's,
 * AWSPREVIOUS's and the retired versions' (`retiredVersionIds`). Digests are compared in constant
 * time. A token no such version holds is an error: nothing here could revoke it.
 */
async function tokenWithDigest(managed: ManagedSecret, digestHex: string, deps: Deps, tokenFields: readonly string[]): Promise<HeldToken> {
  const wanted = Buffer.from(digestHex, 'hex');
  const matches = (held: HeldToken | undefined): held is HeldToken =>
    held !== undefined && timingSafeEqual(createHash('sha256').update(held.token).digest(), wanted);

  const current = heldToken(managed.current.secretString, tokenFields);
  if (matches(current)) return current;
  const previous = await deps.store.tryGet(managed.secretId, { stage: AWSPREVIOUS });
  const previousHeld = heldToken(previous?.secretString, tokenFields);
  if (matches(previousHeld)) return previousHeld;
  const checked = new Set([managed.current.versionId, previous?.versionId]);
  for (const versionId of managed.secret.retiredVersionIds ?? []) {
    if (checked.has(versionId)) continue;
    checked.add(versionId);
    const retired = heldToken((await deps.store.tryGet(managed.secretId, { versionId }))?.secretString, tokenFields);
    if (matches(retired)) return retired;
  }
  throw new ValidationError(
    `tokenSha256: no version of ${managed.secretId} that tracks a token (AWSCURRENT, AWSPREVIOUS, the retired versions) holds a token with this SHA-256; ` +
      'check that the digest is of the token alone (printf %s, not echo, which adds a newline), or name the version by versionId',
    'tokenSha256',
  );
}
