/**
 * The deployment's side of a token secret: the CDK stack's custom resource hands over the settings
 * (host, provider, credential, lifetime, the provider's fields) and this module applies them
 * without ever leaving apps without a token or a live token without an owner:
 *   create  writes the initial JSON (the secret is created with no CloudFormation-managed value);
 *   update  merges the settings into the current JSON, keeping the token fields, over the version
 *           it read (retrying while a rotation is in flight); a change that makes the token useless
 *           (anything but the lifetime and the per-secret timing settings) rotates at once and then
 *           revokes the tokens of the old settings at the server that issued them;
 *   delete  revokes every live token the secret tracks (the secret itself is deleted by CloudFormation).
 * Failures of a rotation or a revoke are reported in the result, never thrown: a deploy must not
 * fail (and roll back) because a token server is briefly unreachable; the sweep retries.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deps } from '../deps.js';
import { RotationStateError, ValidationError } from '../errors.js';
import { AWSCURRENT, AWSPREVIOUS, versionWithStage } from '../secrets/store.js';
import { heldToken, parseTokenSecret, secretJson } from '../secrets/token-secret.js';
import { managedFrom, type ManagedSecret } from './managed-secret.js';
import { rotateNow, type RotationWait } from './rotate-now.js';
import { writeCurrent } from './write-current.js';

/** Fields the functions write; settings never set or remove them. */
const TOKEN_STATE_FIELDS = new Set(['token', 'expiresAt', 'issuedAt', 'refreshedAt', 'providerVersion', 'retiredVersionIds']);

/** Settings whose change leaves the current token usable: timing only (and the CA bundle, a transport detail). */
const HARMLESS_FIELDS = new Set(['lifetimeSeconds', 'refreshBeforeSeconds', 'revokeGraceSeconds', 'routineRevokeMinRemainingSeconds', 'caCertificate']);

export type Settings = Record<string, unknown>;

export interface SettingsResult {
  versionId?: string;
  /** 'none': no rotation needed; 'finished'/'pending': a rotation replaced (or is replacing) the token; 'failed': see `messages`. */
  rotation: 'none' | 'finished' | 'pending' | 'failed';
  /** Tokens of the old settings revoked at their server, and those that could not be. */
  revoked: number;
  revokeFailures: number;
  /** What an operator should know (no token values). */
  messages: string[];
}

export interface SettingsOptions {
  /** How long to wait for a rotation to finish, and for one in flight before writing. */
  wait: RotationWait;
  /** Attempts at writing over a version another writer just replaced. Default 5. */
  writeAttempts?: number;
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
  const versionId = await deps.store.put(secretId, JSON.stringify(settings));
  return { versionId, rotation: 'none', revoked: 0, revokeFailures: 0, messages: [] };
}

/**
 * Update: merge `settings` into the current JSON (fields the old settings had and the new ones
 * lack are removed), rotate when the token became useless, then revoke the old settings' tokens.
 */
export async function updateSettings(secretId: string, settings: Settings, oldSettings: Settings | undefined, deps: Deps, options: SettingsOptions): Promise<SettingsResult> {
  const result: SettingsResult = { rotation: 'none', revoked: 0, revokeFailures: 0, messages: [] };
  const { managed, before, versionId } = await writeMerged(secretId, settings, oldSettings, deps, options);
  result.versionId = versionId;
  const changed = changedFields(before, settings);
  if (versionId === undefined || !changed.some((f) => !HARMLESS_FIELDS.has(f))) return result;

  result.messages.push(`settings ${changed.join(', ')} changed: the token was issued for the old settings, so it is replaced now`);
  try {
    const rotation = await rotateNow(secretId, deps, options.wait);
    result.rotation = rotation.state;
    result.versionId = rotation.versionId;
  } catch (e) {
    result.rotation = 'failed';
    result.messages.push(`rotation failed: ${e instanceof Error ? e.message : String(e)}; the scheduled refresh retries it`);
    return result;
  }
  if (result.rotation !== 'finished') {
    result.messages.push('the rotation is still running; the old settings’ tokens are left to the scheduled refresh to revoke');
    return result;
  }
  // Every token the secret tracks now, but the new current one, was issued under the old settings.
  const description = await deps.store.describe(secretId);
  const now = await deps.store.get(secretId, { stage: AWSCURRENT });
  const versions = [
    versionWithStage(description.versions, AWSPREVIOUS),
    ...retiredOf(now.secretString),
    ...(managed.secret.retiredVersionIds ?? []),
  ];
  await revokeTracked(managed, versions, deps, result, 'old settings', secretJson(now.secretString)?.token);
  return result;
}

function retiredOf(secretString: string | undefined): string[] {
  const list = secretJson(secretString)?.retiredVersionIds;
  return Array.isArray(list) ? list.filter((v): v is string => typeof v === 'string') : [];
}

/** Delete: revoke every live token the secret tracks, at the server of its current settings. */
export async function deleteSettings(secretId: string, deps: Deps): Promise<SettingsResult> {
  const result: SettingsResult = { rotation: 'none', revoked: 0, revokeFailures: 0, messages: [] };
  const current = await deps.store.tryGet(secretId, { stage: AWSCURRENT });
  if (!current?.secretString) return result;
  let managed: ManagedSecret;
  try {
    managed = managedFrom(secretId, current);
  } catch (e) {
    result.messages.push(`the secret's value is not a token secret (${e instanceof Error ? e.message : String(e)}); nothing to revoke`);
    return result;
  }
  const description = await deps.store.describe(secretId);
  const versions = [managed.current.versionId, versionWithStage(description.versions, AWSPREVIOUS), ...(managed.secret.retiredVersionIds ?? [])];
  await revokeTracked(managed, versions, deps, result, 'removed connection');
  return result;
}

/** Writes the merged JSON over the version it read; retries while a rotation or refresh is in flight. */
async function writeMerged(
  secretId: string,
  settings: Settings,
  oldSettings: Settings | undefined,
  deps: Deps,
  options: SettingsOptions,
): Promise<{ managed: ManagedSecret; before: Record<string, unknown>; versionId: string | undefined }> {
  const attempts = options.writeAttempts ?? 5;
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    const current = await deps.store.get(secretId, { stage: AWSCURRENT });
    const before = secretJson(current.secretString) ?? {};
    const merged: Record<string, unknown> = { ...before, ...settings };
    for (const key of Object.keys(oldSettings ?? {})) {
      if (!(key in settings) && !TOKEN_STATE_FIELDS.has(key)) delete merged[key];
    }
    const managed = managedFrom(secretId, { ...current, secretString: JSON.stringify(before) });
    if (JSON.stringify(merged) === JSON.stringify(before)) return { managed, before, versionId: undefined };
    try {
      const versionId = await writeCurrent(managed, deps, JSON.stringify(merged), 'applying the deployment’s settings');
      return { managed, before, versionId };
    } catch (e) {
      const waited = performance.now() - started;
      if (!(e instanceof RotationStateError) || attempt >= attempts || waited > options.wait.timeoutMs) throw e;
      await sleep(Math.min(2_000, 200 * 2 ** (attempt - 1)));
    }
  }
}

function changedFields(before: Record<string, unknown>, settings: Settings): string[] {
  return Object.keys(settings).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(settings[k])).sort();
}

/**
 * Revokes the unexpired tokens of `versions` with the provider of `managed` (its settings, its
 * credential: the server that issued them). Failures are counted and described, not thrown.
 */
async function revokeTracked(
  managed: ManagedSecret,
  candidates: Array<string | undefined>,
  deps: Deps,
  result: SettingsResult,
  why: string,
  keep?: unknown,
): Promise<void> {
  const definition = deps.providers.definition(managed.secret);
  const versions = candidates.filter((v): v is string => typeof v === 'string');
  const seen = new Set<string>();
  const held = [];
  for (const versionId of [...new Set(versions)]) {
    const value = versionId === managed.current.versionId ? managed.current : await deps.store.tryGet(managed.secretId, { versionId });
    const token = heldToken(value?.secretString, definition.tokenFields);
    if (!token || token.token === keep || seen.has(token.token) || (token.expiresAt instanceof Date && token.expiresAt.getTime() <= deps.clock.now())) continue;
    seen.add(token.token);
    held.push(token);
  }
  if (held.length === 0) return;
  try {
    const provider = await deps.providers.open(managed.secret, { arn: managed.arn, what: `token secret ${managed.secretId} (${why})` });
    if ((await provider.capabilities()).revoke === 'none') {
      result.messages.push(`${definition.name} cannot revoke tokens: ${held.length} token(s) of the ${why} expire on their own`);
      return;
    }
    for (const token of held) {
      try {
        await provider.revoke(token);
        result.revoked++;
      } catch (e) {
        result.revokeFailures++;
        result.messages.push(`a token of the ${why} could not be revoked: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  } catch (e) {
    result.revokeFailures += held.length;
    result.messages.push(`the ${why} could not be opened to revoke its tokens: ${e instanceof Error ? e.message : String(e)}`);
  }
}
