/**
 * The deployment's side of a token secret: the CDK stack's custom resource hands over the settings
 * (host, provider, credential, lifetime, the provider's fields) and this module applies them
 * without ever leaving apps without a token, a live token without an owner, or a host beside a
 * token another server issued:
 *   create  writes the initial JSON (the secret is created with no CloudFormation-managed value);
 *   update  a change that leaves the token usable (the lifetime, the per-secret timing settings,
 *           the CA bundle), or any change while the secret holds no token yet, is merged into the
 *           current JSON over the version it read. Any other change needs a token minted with the
 *           new settings, so the two travel together: a token is minted at the new settings'
 *           server, the new settings and that token are written as the AWSPENDING version, and a
 *           rotation to exactly that version (testSecret proves the token, finishSecret makes it
 *           AWSCURRENT) replaces host and token in one move. Until then AWSCURRENT keeps the old
 *           settings and the old token, and if the mint, the write or the rotation fails it keeps
 *           them for good: the staged version is withdrawn (its token revoked) and the update fails
 *           with the reason (SettingsNotAppliedError), so CloudFormation rolls the stack back to
 *           settings that match the secret. Once the rotation has finished, the tokens of the old
 *           settings are revoked at the server that issued them;
 *   delete  revokes the tokens the secret tracks besides its current one (the replaced and a
 *           failed rotation's), never the current token: the secret still holds it, and apps may
 *           read it, until CloudFormation deletes the secret after this resource; it expires with
 *           its lifetime (revoke it first with on-demand `delete` and `force` if it must stop
 *           working at once).
 * No token that can collide (core/operations/settle.ts) is revoked while another managed secret
 * may hold it as current. Revoke failures are reported in the result, never thrown: a deploy must
 * not fail (and roll back) because a token server is briefly unreachable; the sweep retries.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deps } from '../deps.js';
import { CredentialBindingError, RotationStateError, TokenError, ValidationError } from '../errors.js';
import type { HeldToken, IssuedToken, TokenProvider } from '../providers/provider.js';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, versionWithStage, type SecretDescription } from '../secrets/store.js';
import { heldToken, parseTokenSecret, secretJson, withIssuedToken, type TokenSecret } from '../secrets/token-secret.js';
import type { FleetSource } from './fleet.js';
import { managedFrom, type ManagedSecret } from './managed-secret.js';
import { failedPendingVersion, RotationFailedError, rotateNow, type RotationStarted, type RotationWait } from './rotate-now.js';
import { HOLDERS_UNKNOWN, lazyFleetIndex, mayBeHeldElsewhere, revokeUnstored, type CurrentTokenIndex } from './holders.js';
import { concurrentChange, retiredVersionIds, rotationInProgress, writeCurrent } from './write-current.js';

/** Fields the functions write; settings never set or remove them. */
export const TOKEN_STATE_FIELDS: ReadonlySet<string> = new Set(['token', 'expiresAt', 'issuedAt', 'refreshedAt', 'providerVersion', 'retiredVersionIds']);

/** Settings whose change leaves the current token usable: timing only (and the CA bundle, a transport detail). */
export const HARMLESS_FIELDS: ReadonlySet<string> = new Set(['lifetimeSeconds', 'refreshBeforeSeconds', 'revokeGraceSeconds', 'routineRevokeMinRemainingSeconds', 'caCertificate', 'rotationSchedule']);

const APPLYING = 'applying the deployment’s settings';

export type Settings = Record<string, unknown>;

export interface SettingsResult {
  versionId?: string;
  /** 'none': no rotation needed; 'finished': a token of the new settings is current; 'pending': that rotation is still running. */
  rotation: 'none' | 'finished' | 'pending';
  /** Tracked tokens revoked at their server, and those that could not be. */
  revoked: number;
  revokeFailures: number;
  /** What an operator should know (no token values). */
  messages: string[];
}

export interface SettingsOptions {
  /** How long to wait for a rotation to finish, and for one in flight before writing. */
  wait: RotationWait;
  /** Attempts at writing while another writer or a rotation is busy with the secret. Default 5. */
  writeAttempts?: number;
  /**
   * The managed secrets. A token that can collide is revoked only when none of them holds it as
   * current; without a fleet to ask, such a token is left to expire.
   */
  fleet?: FleetSource;
  /** Called once the rotation to the new settings has started: it then completes without this process. */
  onRotationStarted?: (versionId: string) => void;
  /**
   * Aborted once the deployment has been answered FAILED (its time ran out): nothing is written
   * or rotated after that, so the secret never moves on from settings CloudFormation rolls back.
   */
  signal?: AbortSignal;
}

/** New settings that could not be applied; the secret is as it was (AWSCURRENT untouched). */
export class SettingsNotAppliedError extends TokenError {
  readonly code = 'ROTATION_STATE' as const;
}

/** Checks the settings object a deployment sends: a JSON object whose values it may write. */
export function checkSettings(settings: unknown): Settings {
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    throw new ValidationError('Settings: expected a JSON object of token secret fields (host, credentialSecretId, ...)', 'Settings');
  }
  for (const key of Object.keys(settings)) {
    if (TOKEN_STATE_FIELDS.has(key)) throw new ValidationError(`Settings.${key}: written by the functions, not by the deployment`, `Settings.${key}`);
  }
  // The common fields must make a valid token secret on their own.
  parseTokenSecret(JSON.stringify(settings), 'Settings');
  return settings as Settings;
}

/** Create: the initial JSON; a value already there (a retried create) is updated instead. */
export async function createSettings(secretId: string, settings: Settings, deps: Deps, options: SettingsOptions): Promise<SettingsResult> {
  const current = await deps.store.tryGet(secretId, { stage: AWSCURRENT });
  const existing = secretJson(current?.secretString);
  if (current && existing && typeof existing.host === 'string') return updateSettings(secretId, settings, undefined, deps, options);
  options.signal?.throwIfAborted();
  const versionId = await deps.store.put(secretId, JSON.stringify(settings));
  return { versionId, ...emptyResult() };
}

/**
 * Update: `settings` over the current JSON (fields the old settings had and the new ones lack are
 * removed), written in place or, when the token must change with them, through a rotation to a
 * staged version (see the module comment). Retries while another writer or a rotation is busy.
 */
export async function updateSettings(secretId: string, settings: Settings, oldSettings: Settings | undefined, deps: Deps, options: SettingsOptions): Promise<SettingsResult> {
  const attempts = options.writeAttempts ?? 5;
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await applyUpdate(secretId, settings, oldSettings, deps, options);
    } catch (e) {
      // Busy (a rotation in flight, AWSCURRENT moved under the write): worth another look. A failed
      // rotation (RotationFailedError) or settings that could not be applied are final.
      const busy = e instanceof RotationStateError && !(e instanceof RotationFailedError);
      if (!busy || attempt >= attempts || performance.now() - started > options.wait.timeoutMs) throw e;
      await sleep(Math.min(2_000, 200 * 2 ** (attempt - 1)));
      options.signal?.throwIfAborted();
    }
  }
}

async function applyUpdate(secretId: string, settings: Settings, oldSettings: Settings | undefined, deps: Deps, options: SettingsOptions): Promise<SettingsResult> {
  const current = await deps.store.get(secretId, { stage: AWSCURRENT });
  const before = secretJson(current.secretString) ?? {};
  const merged: Record<string, unknown> = { ...before, ...settings };
  for (const key of Object.keys(oldSettings ?? {})) {
    if (!(key in settings) && !TOKEN_STATE_FIELDS.has(key)) delete merged[key];
  }
  const changed = [...new Set([...Object.keys(before), ...Object.keys(merged)])]
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(merged[k]))
    .sort();
  if (changed.length === 0) return emptyResult();
  const managed = managedFrom(secretId, { ...current, secretString: JSON.stringify(before) });
  if (!managed.secret.token || changed.every((f) => HARMLESS_FIELDS.has(f))) {
    // The token (if any) stays valid under the new settings: write them in place.
    options.signal?.throwIfAborted();
    return { versionId: await writeCurrent(managed, deps, JSON.stringify(merged), APPLYING), ...emptyResult() };
  }
  return rotateToSettings(managed, merged, changed, deps, options);
}

/** The token must change with the settings: mint with them, stage both as AWSPENDING, rotate to that version. */
async function rotateToSettings(managed: ManagedSecret, merged: Settings, changed: string[], deps: Deps, options: SettingsOptions): Promise<SettingsResult> {
  const result: SettingsResult = emptyResult();
  const id = managed.secretId;
  const description = await deps.store.describe(id);
  if (versionWithStage(description.versions, AWSCURRENT) !== managed.current.versionId) throw concurrentChange(id, APPLYING);
  const pending = versionWithStage(description.versions, AWSPENDING);
  const fleetIndex = index(options, deps);
  if (pending && pending !== managed.current.versionId) {
    // A rotation that failed and waits for a retry would mint under the old settings: it is
    // dropped for the one these settings need. One that may be running is waited for.
    if (failedPendingVersion(description)?.versionId !== pending) throw rotationInProgress(id, APPLYING);
    await withdraw(managed, description, pending, deps, result, fleetIndex, 'a failed rotation');
  }
  const next = parseTokenSecret(JSON.stringify(merged), `the deployment's settings for ${id}`);
  const minted = await mint(managed, description, next, deps);
  const stageValue = pendingValue(managed, merged, next, minted, description, deps);
  try {
    options.signal?.throwIfAborted();
    await deps.store.put(description.arn, stageValue, { clientRequestToken: minted.versionId, stages: [AWSPENDING] });
  } catch (e) {
    // Not stored: the token must not stay live and untracked.
    await revokeMinted(next, minted, description.arn, fleetIndex, deps, result);
    throw notApplied(id, `the new settings could not be staged (${message(e)})`);
  }
  result.messages.push(`settings ${changed.join(', ')} changed: the token was issued for the old settings, so a token of the new ones replaces it`);
  let rotation: RotationStarted;
  try {
    options.signal?.throwIfAborted();
    rotation = await rotateNow(id, deps, options.wait, { versionId: minted.versionId, ...(options.onRotationStarted ? { onStarted: options.onRotationStarted } : {}) });
  } catch (e) {
    // Refused (another rotation started meanwhile) or failed (the new server refused its own
    // token, say): take the staged version back, so AWSCURRENT stays as it was, with nothing left.
    const reported = result.messages.length;
    await withdraw(managed, await deps.store.describe(id), minted.versionId, deps, result, fleetIndex, 'staged settings');
    if (e instanceof RotationStateError && !(e instanceof RotationFailedError)) throw rotationInProgress(id, APPLYING);
    throw notApplied(id, `the rotation to them failed (${message(e)})`, result.messages.slice(reported));
  }
  result.rotation = rotation.state;
  result.versionId = rotation.versionId;
  if (rotation.state !== 'finished') {
    result.messages.push('the rotation to the new settings is still running; it completes on its own, and the old settings’ tokens are left to the scheduled refresh to revoke');
    return result;
  }
  // Every token the secret tracks now, but the new current one, was issued under older settings.
  const now = await deps.store.get(id, { stage: AWSCURRENT });
  const after = await deps.store.describe(id);
  const versions = [versionWithStage(after.versions, AWSPREVIOUS), ...retiredOf(now.secretString), ...(managed.secret.retiredVersionIds ?? [])];
  await revokeTracked(managed, versions, deps, result, { why: 'old settings', keep: heldToken(now.secretString)?.token, index: fleetIndex });
  return result;
}

interface Minted {
  versionId: string;
  issued: IssuedToken;
  provider: TokenProvider;
  /** The API version the provider spoke (recorded as `providerVersion`, as createSecret does). */
  providerVersion: string;
}

/** A token from the new settings' server, for the version it will be stored in. */
async function mint(managed: ManagedSecret, description: SecretDescription, next: TokenSecret, deps: Deps): Promise<Minted> {
  const versionId = randomUUID();
  const definition = deps.providers.definition(next);
  const lifetimeSeconds = next.lifetimeSeconds ?? definition.defaultLifetimeSeconds;
  try {
    const provider = await deps.providers.open(next, { arn: managed.arn, what: `token secret ${managed.secretId} (new settings)` });
    // The version first: once a token is minted, nothing may fail before it is stored or revoked.
    const providerVersion = await provider.version();
    const issued = await provider.issue({ ...(lifetimeSeconds !== undefined ? { lifetimeSeconds } : {}), purpose: { secretName: description.name, versionId } });
    return { versionId, issued, provider, providerVersion };
  } catch (e) {
    throw notApplied(managed.secretId, `no token could be minted with them (${message(e)})`);
  }
}

/** The staged value: the new settings and their token, tracking what the current token replaced (as createSecret writes it). */
function pendingValue(managed: ManagedSecret, merged: Settings, next: TokenSecret, minted: Minted, description: SecretDescription, deps: Deps): string {
  const base: Record<string, unknown> = { ...merged };
  for (const field of [...TOKEN_STATE_FIELDS, ...deps.providers.definition(managed.secret).tokenFields]) delete base[field];
  const retired = retiredVersionIds(managed.current, description);
  return withIssuedToken(JSON.stringify(base), minted.issued, {
    tokenFields: deps.providers.definition(next).tokenFields,
    extra: { providerVersion: minted.providerVersion, ...(retired.length > 0 ? { retiredVersionIds: retired } : {}) },
  });
}

/**
 * Takes a pending version out of play: AWSPENDING off it (so no rotation can make it current) and
 * its token, which nothing tracks then, revoked at its own settings' server where it may be.
 */
async function withdraw(
  managed: ManagedSecret,
  description: SecretDescription,
  versionId: string,
  deps: Deps,
  result: SettingsResult,
  fleetIndex: CurrentTokenIndex,
  what: string,
): Promise<void> {
  if ((description.versions[versionId] ?? []).includes(AWSPENDING)) await deps.store.removeStage(description.arn, AWSPENDING, versionId);
  await revokeTracked(managed, [versionId], deps, result, { why: what, keep: managed.secret.token, index: fleetIndex });
}

/** Delete: revoke the tokens the secret tracks besides its current one (see the module comment). */
export async function deleteSettings(secretId: string, deps: Deps, options: Pick<SettingsOptions, 'fleet'> = {}): Promise<SettingsResult> {
  const result = emptyResult();
  const current = await deps.store.tryGet(secretId, { stage: AWSCURRENT });
  if (!current?.secretString) return result;
  let managed: ManagedSecret;
  try {
    managed = managedFrom(secretId, current);
  } catch (e) {
    result.messages.push(`the secret's value is not a token secret (${message(e)}); nothing to revoke`);
    return result;
  }
  const description = await deps.store.describe(secretId);
  const pending = versionWithStage(description.versions, AWSPENDING);
  const versions = [
    versionWithStage(description.versions, AWSPREVIOUS),
    pending !== managed.current.versionId ? pending : undefined,
    ...(managed.secret.retiredVersionIds ?? []),
  ].filter((v) => v !== managed.current.versionId);
  await revokeTracked(managed, versions, deps, result, { why: 'removed connection', keep: managed.secret.token, index: index(options, deps) });
  if (managed.secret.token) {
    result.messages.push(
      `the current token is not revoked: the secret holds it until CloudFormation deletes the secret, and it expires ${managed.secret.expiresAt ? `at ${managed.secret.expiresAt}` : 'never'} (on-demand delete with force revokes it now)`,
    );
  }
  return result;
}

function retiredOf(secretString: string | undefined): string[] {
  const list = secretJson(secretString)?.retiredVersionIds;
  return Array.isArray(list) ? list.filter((v): v is string => typeof v === 'string') : [];
}

/** Every managed secret's current token, or (no fleet given) HOLDERS_UNKNOWN: a token that can collide is then left to expire. */
function index(options: Pick<SettingsOptions, 'fleet'>, deps: Deps): CurrentTokenIndex {
  return options.fleet ? lazyFleetIndex(options.fleet, deps) : HOLDERS_UNKNOWN;
}

/** A minted token that was never stored (holders.ts revokeUnstored), counted in the result. */
async function revokeMinted(next: TokenSecret, minted: Minted, arn: string, fleetIndex: CurrentTokenIndex, deps: Deps, result: SettingsResult): Promise<void> {
  const outcome = await revokeUnstored(minted.provider, minted.issued, { secretArn: arn, index: fleetIndex });
  if (outcome.revoked) result.revoked++;
  else if (outcome.revocable && outcome.heldElsewhere === false) {
    result.revokeFailures++;
    result.messages.push(`a token minted for the new settings (${deps.providers.definition(next).name}) could not be revoked: it expires on its own`);
  }
}

/**
 * Revokes the unexpired tokens of `candidates` at the server that issued each (the settings stored
 * beside it), except `keep` (the current token) and any another managed secret may hold as current.
 * Failures are counted and described, not thrown.
 */
async function revokeTracked(
  managed: ManagedSecret,
  candidates: Array<string | undefined>,
  deps: Deps,
  result: SettingsResult,
  how: { why: string; keep: string | undefined; index: CurrentTokenIndex },
): Promise<void> {
  const seen = new Set<string>();
  const providers = new Map<string, Promise<TokenProvider>>();
  for (const versionId of new Set(candidates.filter((v): v is string => typeof v === 'string'))) {
    const value = versionId === managed.current.versionId ? managed.current : await deps.store.tryGet(managed.secretId, { versionId });
    let secret: TokenSecret;
    try {
      secret = parseTokenSecret(value?.secretString, `token secret ${managed.secretId} (version ${versionId})`);
    } catch {
      continue; // a version without a token secret's JSON holds no token to revoke
    }
    const definition = deps.providers.definition(secret);
    const token: HeldToken | undefined = heldToken(value?.secretString, definition.tokenFields);
    if (!token || token.token === how.keep || seen.has(token.token) || (token.expiresAt instanceof Date && token.expiresAt.getTime() <= deps.clock.now())) continue;
    seen.add(token.token);
    // One provider per server the tokens came from: the settings beside each token, not the newest.
    const server = settingsKey(value?.secretString, definition.tokenFields);
    if (!providers.has(server)) providers.set(server, deps.providers.open(secret, { arn: managed.arn, what: `token secret ${managed.secretId} (${how.why})` }));
    try {
      const provider = await (providers.get(server) as Promise<TokenProvider>);
      const capabilities = await provider.capabilities();
      if (capabilities.revoke === 'none') {
        result.messages.push(`${definition.name} cannot revoke tokens: a token of the ${how.why} expires on its own`);
        continue;
      }
      const elsewhere = await mayBeHeldElsewhere(token.token, managed.arn, capabilities.tokensMayCollide, how.index);
      if (elsewhere !== false) {
        result.messages.push(`a token of the ${how.why} may be another secret's current token (${elsewhere === 'unknown' ? 'that could not be checked' : 'it is'}): left to expire`);
        continue;
      }
      await provider.revoke(token);
      result.revoked++;
    } catch (e) {
      if (e instanceof CredentialBindingError) {
        // A host the deployment no longer binds (a host change): the credential does not go there
        // again, so the token it issued expires on its own.
        result.messages.push(`a token of the ${how.why} is left to expire: its server is no longer bound to the credential`);
        continue;
      }
      result.revokeFailures++;
      result.messages.push(`a token of the ${how.why} could not be revoked: ${message(e)}`);
    }
  }
}

/** The settings a version holds (its JSON without the token state): which server issued its token. */
function settingsKey(secretString: string | undefined, tokenFields: readonly string[]): string {
  const json = { ...(secretJson(secretString) ?? {}) };
  for (const field of [...TOKEN_STATE_FIELDS, ...tokenFields]) delete json[field];
  return JSON.stringify(Object.entries(json).sort(([a], [b]) => a.localeCompare(b)));
}

function notApplied(secretId: string, why: string, detail: string[] = []): SettingsNotAppliedError {
  const extra = detail.join('; ');
  return new SettingsNotAppliedError(
    `The new settings of ${secretId} were not applied: ${why}. AWSCURRENT keeps the old settings and their token${extra ? `; ${extra}` : ''}`,
  );
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function emptyResult(): SettingsResult {
  return { rotation: 'none', revoked: 0, revokeFailures: 0, messages: [] };
}
