/**
 * Shared machinery of the reliability tests: a local stack tuned for fast failure, seeded
 * randomness, the invariants a rotation run must keep (checked against the endpoint's stored
 * state, not against what the handlers report), and error classification.
 *
 * The local endpoint rotates asynchronously, as AWS does: RotateSecret answers once AWSPENDING
 * exists and the four steps run afterwards. `rotateSecret` below waits for them (what a test
 * asserting on the outcome needs); `startRotation` does not (for tests that race rotations).
 */
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import { RotateSecretCommand, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { SSMServiceException } from '@aws-sdk/client-ssm';
import { clearSettingsCache } from '../../functions/lib/settings.js';
import { TigerGraphClient } from '../../core/providers/tigergraph/client.js';
import { decodeTigerGraphClaims } from '../../core/providers/tigergraph/jwt.js';
import { DEFAULT_SETTINGS } from '../../core/settings.js';
import { handler as onDemandHandler } from '../../functions/on-demand/handler.js';
import { handler as rotationHandler } from '../../functions/rotation/handler.js';
import { handler as scheduledHandler } from '../../functions/scheduled-refresh/handler.js';
import type { SecretSnapshot, SecretVersionSnapshot } from '../../local/aws/index.js';
import type { FakeFaults } from '../../local/fakes/tigergraph/index.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack.js';
import { prng } from '../../local/fakes/tigergraph/faults.js';

export const DAY = 86_400;
/** Versions the local endpoint (like Secrets Manager) keeps per secret before pruning label-less ones. */
const MAX_VERSIONS = 100;
/** The label the sweep's settle puts on a current version once everything it replaced is dealt with. */
export const SETTLED = 'TGSETTLED';

/** Client knobs for every reliability file: fail fast, retry a little, never sleep long. */
export const FAST_ENV = {
  TG_HTTP_TIMEOUT_MS: '150',
  TG_HTTP_BASE_DELAY_MS: '5',
  TG_HTTP_MAX_ATTEMPTS: '3',
  AWS_MAX_ATTEMPTS: '3',
} as const;

export const AWS_MAX_ATTEMPTS = Number(FAST_ENV.AWS_MAX_ATTEMPTS);

export async function startStack(options: LocalStackOptions = {}, env: Record<string, string> = {}): Promise<LocalStack> {
  Object.assign(process.env, FAST_ENV, env);
  const stack = await startLocalStack(options);
  return stack;
}

/** Writes the settings parameter and drops the per-container settings cache so the next sweep reads it. */
/** The routine-revoke threshold each stack runs with, so a Ledger checks the policy the sweep applies. */
const routineRevokeThresholds = new WeakMap<LocalStack, number>();

export async function putSettings(stack: LocalStack, settings: Parameters<LocalStack['putSettings']>[0]): Promise<void> {
  await stack.putSettings(settings);
  routineRevokeThresholds.set(stack, settings.routineRevokeMinRemainingSeconds ?? DEFAULT_SETTINGS.routineRevokeMinRemainingSeconds);
  clearSettingsCache();
}

/**
 * Settings that make 30-day TigerGraph 4.x tokens count as long-lived (routinely block-listed), for
 * suites that exercise the block-list revoke itself; the product's default (60 days) leaves them to expire.
 */
export const BLOCK_LIST_REVOKES = { routineRevokeMinRemainingSeconds: 4 * 86_400 } as const;


/**
 * How many of `requests` requests a fake with rate-based `faults` (no `ops` filter, no counters)
 * faulted: the fake draws from mulberry32(seed) once per enabled rate per request, in the order
 * drop, error, malformed, stopping at the first hit (local/fakes/tigergraph/faults.ts).
 */
export function replayInjectedFaults(faults: FakeFaults, requests: number): number {
  const random = prng(faults.seed ?? 1);
  let injected = 0;
  for (let i = 0; i < requests; i++) {
    if (faults.dropRate && random() < faults.dropRate) injected++;
    else if (faults.errorRate && random() < faults.errorRate) injected++;
    else if (faults.malformedRate && random() < faults.malformedRate) injected++;
  }
  return injected;
}

/**
 * The SDK backs off ~0.5 s on average per ThrottlingException (base 1 s, full jitter). That is
 * the SDK's business, not ours; the soak only needs the retry to happen, so the base is scaled
 * down for the test process. Returns the restore function. No-op if the SDK layout changes.
 */
export function fastSdkThrottleBackoff(ms = 20): () => void {
  const require = createRequire(import.meta.url);
  let retry: { Retry?: { throttlingDelay?: () => number } } | undefined;
  try {
    retry = require('@smithy/core/retry') as typeof retry;
  } catch {
    return () => undefined;
  }
  const target = retry?.Retry;
  if (!target || typeof target.throttlingDelay !== 'function') return () => undefined;
  const original = target.throttlingDelay;
  target.throttlingDelay = () => ms;
  return () => {
    target.throttlingDelay = original;
  };
}

// ---- handlers ----------------------------------------------------------------------------------

type ScheduledContext = Parameters<typeof scheduledHandler>[1];
type OnDemandContext = Parameters<typeof onDemandHandler>[1];

export const invoke = {
  rotation: (event: unknown) => rotationHandler(event, lambdaContext('rotation')),
  onDemand: (event: unknown) => onDemandHandler(event, lambdaContext('on-demand') as OnDemandContext),
  scheduled: (event: unknown) => scheduledHandler(event, lambdaContext('scheduled-refresh', 300_000) as ScheduledContext),
};

/** A sweep, then the rotations it started (they run on their own, as on AWS) settled. */
export async function sweepSettled(stack: LocalStack, event: unknown): Promise<Awaited<ReturnType<typeof scheduledHandler>>> {
  try {
    return await invoke.scheduled(event);
  } finally {
    await stack.aws.rotationsSettled();
  }
}

/** The invoker startLocalStack installs: the real rotation handler, in process. */
export const realInvoker = async (event: unknown): Promise<void> => {
  await rotationHandler(event, lambdaContext('rotation'));
};

/** RotateSecret only: it answers once AWSPENDING exists; the steps run afterwards, in the background. */
export function startRotation(stack: LocalStack, secretId: string, clientRequestToken?: string) {
  return stack.secretsManager.send(
    new RotateSecretCommand({ SecretId: secretId, ...(clientRequestToken ? { ClientRequestToken: clientRequestToken } : {}) }),
  );
}

/** RotateSecret, then its steps awaited (a refused RotateSecret still rejects). */
export async function rotateSecret(stack: LocalStack, secretId: string, clientRequestToken?: string) {
  try {
    return await startRotation(stack, secretId, clientRequestToken);
  } finally {
    await stack.aws.rotationsSettled(secretId);
  }
}

// ---- tokens TigerGraph handed out ------------------------------------------------------------

/**
 * Every distinct token the TigerGraph client handed out in this process (requestToken results).
 * A 4.x server can answer a token identical to one already handed out (no unique claim): the
 * client then mints again, so the fake's `minted` counter can exceed the tokens anyone received.
 * Counts of "one token per rotation" are taken here.
 */
const handedOutTokens = new Set<string>();
const RECORDER = Symbol.for('tg-token-rotation.reliability.handed-out');
{
  const proto = TigerGraphClient.prototype as unknown as Record<string | symbol, unknown>;
  if (!proto[RECORDER]) {
    const original = proto.requestToken as (...args: unknown[]) => Promise<{ token: string }>;
    proto.requestToken = async function (this: unknown, ...args: unknown[]) {
      const issued = await original.apply(this, args);
      handedOutTokens.add(issued.token);
      return issued;
    };
    proto[RECORDER] = handedOutTokens;
  }
}
const recorded = (TigerGraphClient.prototype as unknown as Record<symbol, Set<string>>)[RECORDER]!;

/** Distinct tokens TigerGraph 3.x (opaque) or 4.x (JWT) handed out to the product so far. */
export function handedOut(version: 3 | 4): number {
  let n = 0;
  for (const token of recorded) if ((token.split('.').length === 3) === (version === 4)) n++;
  return n;
}

// ---- errors ------------------------------------------------------------------------------------

export const TYPED_ERRORS: ReadonlySet<string> = new Set([
  'ValidationError',
  'CredentialNotSetError',
  'ConfigError',
  'RotationStateError',
  'RotationFailedError',
  'TokenNotFoundError',
  'BadCredentialError',
  'HttpError',
  'TransportError',
  'AuthenticationDisabledError',
  'RefreshUnsupportedError',
  'RevokeLimitError',
]);

export function isAwsServiceError(e: unknown): boolean {
  return e instanceof SecretsManagerServiceException || e instanceof SSMServiceException;
}

/**
 * Why `e` is not an acceptable failure, or undefined when it is: an Error with a non-empty,
 * single-paragraph message (no stack trace), named as one of our typed errors or an AWS service
 * exception, never a TypeError/ReferenceError/SyntaxError/RangeError or a bare Error.
 */
export function untypedReason(e: unknown): string | undefined {
  if (!(e instanceof Error)) return `not an Error: ${String(e)}`;
  const what = `${e.name}: ${e.message}`;
  if (!e.message || !e.message.trim()) return `empty message (${e.name})`;
  if (/\n\s+at\s/.test(e.message) || /\bat .+\(.+:\d+:\d+\)/.test(e.message)) return `stack trace in the message: ${what}`;
  if (TYPED_ERRORS.has(e.name)) return undefined;
  if (isAwsServiceError(e)) return undefined;
  return `untyped error ${what}`;
}

/** A message a sweep reports for one secret: readable, not a crash. */
export function unreadableSweepMessage(message: string): string | undefined {
  if (!message.trim()) return 'empty';
  if (/\n\s+at\s/.test(message)) return 'stack trace';
  if (/Cannot read propert|is not a function|is not defined|Unexpected token|undefined is not/i.test(message)) return `crash text: ${message}`;
  return undefined;
}

// ---- state and invariants ---------------------------------------------------------------------

export function tokenOf(version: SecretVersionSnapshot | undefined): string | undefined {
  return fieldOf(version, 'token');
}

/** A string field of a version's JSON value (e.g. Trifacta's `tokenId`). */
export function fieldOf(version: SecretVersionSnapshot | undefined, field: string): string | undefined {
  if (!version?.secretString) return undefined;
  try {
    const value = (JSON.parse(version.secretString) as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The `retiredVersionIds` a version's value lists (replaced tokens not revoked yet). */
export function retiredOf(version: SecretVersionSnapshot | undefined): string[] {
  if (!version?.secretString) return [];
  try {
    const list = (JSON.parse(version.secretString) as Record<string, unknown>).retiredVersionIds;
    return Array.isArray(list) ? list.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

export function withStage(snap: SecretSnapshot, stage: string): SecretVersionSnapshot[] {
  return snap.versions.filter((v) => v.stages.includes(stage));
}

/** Versions as comparable data (ids, labels, values), to prove a failed call wrote nothing. */
export function versionsOf(snap: SecretSnapshot | undefined): Array<[string, string[], string | undefined]> {
  return (snap?.versions ?? []).map((v) => [v.versionId, [...v.stages].sort(), v.secretString]);
}

/** Which fake a tracked secret's tokens live at. */
export type Kind = 3 | 4 | 'trifacta' | 'ica';

interface Tracked {
  arn: string;
  kind: Kind;
  /** The fields the secret was created with (its first version), which every version must keep. */
  created: Record<string, unknown>;
  /** Fields an operation may legitimately change (e.g. lifetimeSeconds via on-demand request). */
  mutable: Set<string>;
  /** Every version seen so far, its value and whether it had a label: versions are immutable and never disappear. */
  seen: Map<string, { value: string | undefined; labelled: boolean }>;
}

export interface CheckOptions {
  /** No AWSPENDING anywhere (after a run that must have completed every rotation). */
  requireNoPending?: boolean;
  /** Tolerate AWSPENDING without a recorded failure (a test created the placeholder on purpose). */
  allowPending?: boolean;
}

export interface CheckResult {
  /** Live tokens held by no version of any secret (minted, never stored, not revoked). */
  orphans: string[];
  /**
   * Live tokens the product no longer tracks for revocation: held only by versions that are not
   * AWSCURRENT, AWSPENDING, or (the current version not settled yet) AWSPREVIOUS or listed in the
   * current value's retiredVersionIds, and not left to expire by design (leftToExpire).
   */
  untracked: string[];
  /**
   * Live replaced tokens left to expire on purpose: TigerGraph 4.x tokens with at most
   * routineRevokeMinRemainingSeconds left (the routine revoke policy). ICA tokens (no revoke at
   * all) are left to expire too; the ICA fake does not list its tokens, so they are not counted.
   */
  leftToExpire: string[];
  /** Tokens seen revoked (refused before their expiry) that the server accepts again. */
  revived: string[];
}

export interface LedgerOptions {
  /** The sweep's routine revoke policy threshold (settings); default what putSettings last gave this stack, else the product's. */
  routineRevokeMinRemainingSeconds?: number;
}

/**
 * The invariants of a fail-safe rotator, over every tracked secret:
 * - no rotation still running (a test must await settlement before it checks);
 * - exactly one AWSCURRENT, whose token its server accepts now; at most one AWSPREVIOUS/AWSPENDING;
 * - every version keeps every field the secret was created with, and parses;
 * - no version seen before has vanished or changed its value;
 * - AWSPENDING only where a failed rotation (lastRotationError) left it, on that rotation's version;
 * - no tag of any secret holds a token or a credential;
 * and over the whole stack: no live token the product stopped tracking (CheckResult.untracked).
 * Orphans (minted, never stored) are counted, not refused: each test bounds them itself.
 */
export class Ledger {
  private readonly tracked = new Map<string, Tracked>();
  readonly orphansEver = new Set<string>();
  readonly untrackedEver = new Set<string>();
  readonly revivedEver = new Set<string>();
  /** 4.x tokens seen refused before their expiry: revoked (block-listed). */
  private readonly revokedSeen = new Set<string>();
  readonly routineRevokeMinRemainingSeconds: number;

  constructor(
    private readonly stack: LocalStack,
    options: LedgerOptions = {},
  ) {
    this.routineRevokeMinRemainingSeconds =
      options.routineRevokeMinRemainingSeconds ?? routineRevokeThresholds.get(stack) ?? DEFAULT_SETTINGS.routineRevokeMinRemainingSeconds;
  }

  track(arn: string, kind: Kind, mutable: string[] = []): void {
    const snap = this.snapshot(arn);
    const first = snap.versions[0];
    if (!first?.secretString) throw new Error(`secret ${arn} has no first value`);
    this.tracked.set(arn, {
      arn,
      kind,
      created: JSON.parse(first.secretString) as Record<string, unknown>,
      mutable: new Set(mutable),
      seen: new Map(snap.versions.map((v) => [v.versionId, { value: v.secretString, labelled: v.stages.length > 0 }])),
    });
  }

  arns(): string[] {
    return [...this.tracked.keys()];
  }

  kindOf(arn: string): Kind {
    return this.tracked.get(arn)!.kind;
  }

  snapshot(arn: string): SecretSnapshot {
    const snap = this.stack.aws.inspectSecret(arn);
    if (!snap) throw new Error(`secret ${arn} vanished`);
    return snap;
  }

  /** The dangling AWSPENDING version (a rotation that failed and awaits a retry), if any. */
  danglingPending(arn: string): string | undefined {
    const snap = this.snapshot(arn);
    return withStage(snap, 'AWSPENDING').find((v) => !v.stages.includes('AWSCURRENT'))?.versionId;
  }

  /** Throws an Error listing every violated invariant; returns the token census. */
  check(where: string, options: CheckOptions = {}): CheckResult {
    const problems: string[] = [];
    for (const t of this.tracked.values()) problems.push(...this.checkOne(t, options).map((p) => `${t.arn}: ${p}`));
    problems.push(...this.checkTags());
    const result = this.tokenCensus();
    for (const o of result.orphans) this.orphansEver.add(o);
    for (const u of result.untracked) this.untrackedEver.add(u);
    for (const r of result.revived) this.revivedEver.add(r);
    for (const u of result.untracked) {
      const why = this.revivedEver.has(u)
        ? ' (seen revoked earlier, accepted again: a full block list dropped it)'
        : settledAway(u, this.stack)
          ? ' (a settled version lists it as dealt with: revoked and accepted again, e.g. dropped from a full block list within the same settle?)'
          : '';
      problems.push(`a live token is no longer tracked for revocation: ${describeToken(u, this.stack)}${why}`);
    }
    if (problems.length) throw new Error(`invariants broken ${where}:\n  ${problems.join('\n  ')}`);
    return result;
  }

  private isLive(kind: Kind, token: string): boolean {
    switch (kind) {
      case 3:
        return this.stack.tg3.isLive(token);
      case 4:
        return this.stack.tg4.isLive(token);
      case 'trifacta':
        return this.stack.trifacta.isLive(token);
      case 'ica':
        return this.stack.ica.isLive(token);
    }
  }

  private checkOne(t: Tracked, options: CheckOptions): string[] {
    const problems: string[] = [];
    const snap = this.stack.aws.inspectSecret(t.arn);
    if (!snap) return ['the secret vanished'];
    if (snap.rotationInProgress) problems.push('a rotation is still running (await stack.aws.rotationsSettled before checking)');
    const current = withStage(snap, 'AWSCURRENT');
    const previous = withStage(snap, 'AWSPREVIOUS');
    const pending = withStage(snap, 'AWSPENDING');
    if (current.length !== 1) problems.push(`${current.length} versions carry AWSCURRENT`);
    if (previous.length > 1) problems.push(`${previous.length} versions carry AWSPREVIOUS`);
    if (pending.length > 1) problems.push(`${pending.length} versions carry AWSPENDING`);
    const token = tokenOf(current[0]);
    if (!token) problems.push('AWSCURRENT has no token');
    else if (!this.isLive(t.kind, token)) {
      const expiresAt = fieldOf(current[0], 'expiresAt');
      const left = expiresAt ? Math.round((Date.parse(expiresAt) - this.stack.clock.now()) / 1000) : undefined;
      const state = left === undefined ? 'no recorded expiry' : left <= 0 ? `expired ${-left} s ago` : `${left} s before its recorded expiry`;
      const last = this.stack.aws.lastRotationError(t.arn);
      problems.push(
        `the server (${t.kind}) does not accept the AWSCURRENT token (${state}; version ${current[0]!.versionId}` +
          `${pending.length ? `; AWSPENDING on ${pending[0]!.versionId}` : ''}${last ? `; last rotation failure: ${last.step} ${last.message}` : ''})`,
      );
    }

    const failure = this.stack.aws.lastRotationError(t.arn);
    const dangling = pending.filter((v) => !v.stages.includes('AWSCURRENT'));
    if (options.requireNoPending && pending.length) problems.push(`AWSPENDING left on ${pending.map((v) => v.versionId).join(', ')}`);
    if (!failure && !options.allowPending && pending.length) problems.push(`AWSPENDING left after a successful rotation (on ${pending[0]!.versionId})`);
    if (failure && !options.allowPending && dangling.length && dangling[0]!.versionId !== failure.clientRequestToken) {
      problems.push(`AWSPENDING on ${dangling[0]!.versionId}, not on the failed rotation's version ${failure.clientRequestToken}`);
    }

    for (const v of snap.versions) {
      if (v.secretString === undefined) continue;
      let value: Record<string, unknown>;
      try {
        value = JSON.parse(v.secretString) as Record<string, unknown>;
      } catch {
        problems.push(`version ${v.versionId} is not JSON`);
        continue;
      }
      for (const [field, expected] of Object.entries(t.created)) {
        if (t.mutable.has(field)) continue;
        if (!isDeepStrictEqual(value[field], expected)) problems.push(`version ${v.versionId} lost or changed field ${field}`);
      }
    }
    const now = new Map(snap.versions.map((v) => [v.versionId, v]));
    for (const [id, seen] of t.seen) {
      const v = now.get(id);
      if (!v) {
        // Secrets Manager keeps about 100 versions and drops the oldest label-less ones beyond that.
        if (seen.labelled || snap.versions.length < MAX_VERSIONS) problems.push(`version ${id} vanished`);
        else t.seen.delete(id);
      } else if (seen.value !== undefined && v.secretString !== seen.value) problems.push(`version ${id} changed its value`);
    }
    for (const [id, v] of now) t.seen.set(id, { value: v.secretString, labelled: v.stages.length > 0 });
    return problems;
  }

  /** No tag (the rotation-error tag above all) of any secret quotes a token or a credential. */
  private checkTags(): string[] {
    const sensitive = [...knownTokens(this.stack), ...credentialValues(this.stack)].filter((v) => v.length >= 12);
    const problems: string[] = [];
    for (const snap of this.stack.aws.inspectSecrets()) {
      for (const [key, value] of Object.entries(snap.tags)) {
        if (sensitive.some((s) => value.includes(s) || key.includes(s))) problems.push(`${snap.name}: tag ${key} holds a token or a credential`);
      }
    }
    return problems;
  }

  /** Live tokens at the TigerGraph and Trifacta fakes, against the tokens every version of every secret holds. */
  tokenCensus(): CheckResult {
    const now = this.stack.clock.now();
    const held = new Set<string>();
    const tracked = new Set<string>();
    for (const snap of this.stack.aws.inspectSecrets()) {
      const current = withStage(snap, 'AWSCURRENT')[0];
      const settled = current?.stages.includes(SETTLED) ?? false;
      const retired = new Set(retiredOf(current));
      for (const v of snap.versions) {
        const ids = [tokenOf(v), prefixed(fieldOf(v, 'tokenId'))].filter((x): x is string => x !== undefined);
        // The product still revokes these: the current and pending tokens when they are replaced;
        // AWSPREVIOUS and the retired list when the sweep settles the current version.
        const isTracked =
          v.stages.includes('AWSCURRENT') ||
          v.stages.includes('AWSPENDING') ||
          (!settled && (v.stages.includes('AWSPREVIOUS') || retired.has(v.versionId)));
        for (const id of ids) {
          held.add(id);
          if (isTracked) tracked.add(id);
        }
      }
    }
    const live = [...this.stack.tg3.liveTokens(), ...this.stack.tg4.liveTokens(), ...this.stack.trifacta.liveTokenIds().map((id) => prefixed(id)!)];
    const liveSet = new Set(live);
    const revived = [...this.revokedSeen].filter((t) => liveSet.has(t));
    // Remember what a 4.x server refuses before its expiry now (block-listed), to notice a revoke
    // undone later (a full block list in 'drop-oldest' mode). 3.x and Trifacta delete for good.
    for (const t of held) {
      const exp = liveSet.has(t) ? undefined : decodeTigerGraphClaims(t)?.exp;
      if (exp !== undefined && exp * 1000 > now) this.revokedSeen.add(t);
    }
    const leftToExpire = live.filter((t) => held.has(t) && !tracked.has(t) && this.expiresByPolicy(t, now));
    return {
      orphans: live.filter((t) => !held.has(t)),
      untracked: live.filter((t) => held.has(t) && !tracked.has(t) && !this.expiresByPolicy(t, now)),
      leftToExpire,
      revived,
    };
  }

  /** A 4.x token the routine policy leaves to expire: at most routineRevokeMinRemainingSeconds left. */
  private expiresByPolicy(token: string, now: number): boolean {
    const exp = decodeTigerGraphClaims(token)?.exp;
    return exp !== undefined && exp * 1000 - now <= this.routineRevokeMinRemainingSeconds * 1000;
  }
}

const TRIFACTA_ID = 'trifacta-token-id:';
const prefixed = (id: string | undefined) => (id === undefined ? undefined : `${TRIFACTA_ID}${id}`);

/** Whether a settled version of the secret holding `token` lists it (as AWSPREVIOUS was, or as retired). */
function settledAway(token: string, stack: LocalStack): boolean {
  for (const snap of stack.aws.inspectSecrets()) {
    const holders = snap.versions.filter((v) => tokenOf(v) === token).map((v) => v.versionId);
    if (holders.length === 0) continue;
    if (snap.versions.some((v) => v.stages.includes(SETTLED) && retiredOf(v).some((id) => holders.includes(id)))) return true;
  }
  return false;
}

/** A token for a failure message: never the value, only which secret versions hold it and its expiry. */
export function describeToken(token: string, stack: LocalStack): string {
  const holders: string[] = [];
  for (const snap of stack.aws.inspectSecrets()) {
    for (const v of snap.versions) {
      if (tokenOf(v) === token || prefixed(fieldOf(v, 'tokenId')) === token) holders.push(`${snap.name}@${v.versionId}[${v.stages.join(',')}]`);
    }
  }
  const exp = decodeTigerGraphClaims(token)?.exp;
  const kind = token.startsWith(TRIFACTA_ID) ? 'Trifacta token' : exp !== undefined ? 'TigerGraph 4.x token' : 'TigerGraph 3.x token';
  const left = exp !== undefined ? `, ${Math.round((exp * 1000 - stack.clock.now()) / 1000)} s left` : '';
  return `${kind} held by ${holders.join(' ') || 'no version'}${left}`;
}

/** Every token the stack knows of: in any version of any secret, or live at either TigerGraph fake. */
export function knownTokens(stack: LocalStack): Set<string> {
  const tokens = new Set<string>([...stack.tg3.liveTokens(), ...stack.tg4.liveTokens(), ...recorded]);
  for (const snap of stack.aws.inspectSecrets()) {
    for (const v of snap.versions) {
      const token = tokenOf(v);
      if (token) tokens.add(token);
    }
  }
  return tokens;
}

/** The credentials in play (every provider's), and the Basic-auth values built from them. */
export function credentialValues(stack: LocalStack): string[] {
  const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');
  return [
    stack.tigergraphSecret,
    stack.tigergraphUser.password,
    basic(stack.tigergraphUser.username, stack.tigergraphUser.password),
    basic('__GSQL__secret', stack.tigergraphSecret),
    stack.trifactaUser.password,
    basic(stack.trifactaUser.username, stack.trifactaUser.password),
    stack.icaApiKey,
    stack.icaUser.password,
    basic(stack.icaUser.username, stack.icaUser.password),
  ];
}

/** Versions of every secret, keyed by name: to prove a failed call wrote nothing anywhere. */
export function allVersions(stack: LocalStack): Record<string, Array<[string, string[], string | undefined]>> {
  return Object.fromEntries(stack.aws.inspectSecrets().map((s) => [s.name, versionsOf(s)]));
}

/** mulberry32: the same small seeded PRNG the fake uses. */
export { prng };
