/**
 * Shared machinery of the reliability tests: a local stack tuned for fast failure, seeded
 * randomness, the invariants a rotation run must keep (checked against the endpoint's stored
 * state, not against what the handlers report), and error classification.
 */
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import { RotateSecretCommand, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { SSMServiceException } from '@aws-sdk/client-ssm';
import { clearCache } from '@middy/util';
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

/** Writes the settings parameter and drops @middy/ssm's per-container cache so the next sweep reads it. */
export async function putSettings(stack: LocalStack, settings: Parameters<LocalStack['putSettings']>[0]): Promise<void> {
  await stack.putSettings(settings);
  clearCache();
}


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

export const invoke = {
  rotation: (event: unknown) => rotationHandler(event, lambdaContext('rotation')),
  onDemand: (event: unknown) => onDemandHandler(event, lambdaContext('on-demand')),
  scheduled: (event: unknown) => scheduledHandler(event, lambdaContext('scheduled-refresh', 300_000) as ScheduledContext),
};

/** The invoker startLocalStack installs: the real rotation handler, in process. */
export const realInvoker = async (event: unknown): Promise<void> => {
  await rotationHandler(event, lambdaContext('rotation'));
};

export function rotateSecret(stack: LocalStack, secretId: string, clientRequestToken?: string) {
  return stack.secretsManager.send(
    new RotateSecretCommand({ SecretId: secretId, ...(clientRequestToken ? { ClientRequestToken: clientRequestToken } : {}) }),
  );
}

// ---- errors ------------------------------------------------------------------------------------

export const TYPED_ERRORS: ReadonlySet<string> = new Set([
  'ValidationError',
  'ConfigError',
  'RotationStateError',
  'TokenNotFoundError',
  'BadCredentialError',
  'HttpError',
  'TransportError',
  'AuthenticationDisabledError',
  'RefreshUnsupportedError',
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
  if (!version?.secretString) return undefined;
  try {
    const value = (JSON.parse(version.secretString) as { token?: unknown }).token;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export function withStage(snap: SecretSnapshot, stage: string): SecretVersionSnapshot[] {
  return snap.versions.filter((v) => v.stages.includes(stage));
}

/** Versions as comparable data (ids, labels, values), to prove a failed call wrote nothing. */
export function versionsOf(snap: SecretSnapshot | undefined): Array<[string, string[], string | undefined]> {
  return (snap?.versions ?? []).map((v) => [v.versionId, [...v.stages].sort(), v.secretString]);
}

interface Tracked {
  arn: string;
  version: 3 | 4;
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
  /** Live tokens held only by label-less versions (stored, but no longer tracked for revocation). */
  untracked: string[];
}

/**
 * The invariants of a fail-safe rotator, over every tracked secret:
 * - exactly one AWSCURRENT, whose token TigerGraph accepts now; at most one AWSPREVIOUS/AWSPENDING;
 * - every version keeps every field the secret was created with, and parses;
 * - no version seen before has vanished or changed its value;
 * - AWSPENDING only where a failed rotation (lastRotationError) left it, on that rotation's version.
 */
export class Ledger {
  private readonly tracked = new Map<string, Tracked>();
  readonly orphansEver = new Set<string>();
  readonly untrackedEver = new Set<string>();

  constructor(private readonly stack: LocalStack) {}

  track(arn: string, version: 3 | 4, mutable: string[] = []): void {
    const snap = this.snapshot(arn);
    const first = snap.versions[0];
    if (!first?.secretString) throw new Error(`secret ${arn} has no first value`);
    this.tracked.set(arn, {
      arn,
      version,
      created: JSON.parse(first.secretString) as Record<string, unknown>,
      mutable: new Set(mutable),
      seen: new Map(snap.versions.map((v) => [v.versionId, { value: v.secretString, labelled: v.stages.length > 0 }])),
    });
  }

  arns(): string[] {
    return [...this.tracked.keys()];
  }

  versionOf(arn: string): 3 | 4 {
    return this.tracked.get(arn)!.version;
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

  /** Throws an Error listing every violated invariant; returns the orphan and untracked counts. */
  check(where: string, options: CheckOptions = {}): CheckResult {
    const problems: string[] = [];
    for (const t of this.tracked.values()) problems.push(...this.checkOne(t, options).map((p) => `${t.arn}: ${p}`));
    if (problems.length) throw new Error(`invariants broken ${where}:\n  ${problems.join('\n  ')}`);
    const result = this.tokenCensus();
    for (const o of result.orphans) this.orphansEver.add(o);
    for (const u of result.untracked) this.untrackedEver.add(u);
    return result;
  }

  private checkOne(t: Tracked, options: CheckOptions): string[] {
    const problems: string[] = [];
    const snap = this.stack.aws.inspectSecret(t.arn);
    if (!snap) return ['the secret vanished'];
    const current = withStage(snap, 'AWSCURRENT');
    const previous = withStage(snap, 'AWSPREVIOUS');
    const pending = withStage(snap, 'AWSPENDING');
    if (current.length !== 1) problems.push(`${current.length} versions carry AWSCURRENT`);
    if (previous.length > 1) problems.push(`${previous.length} versions carry AWSPREVIOUS`);
    if (pending.length > 1) problems.push(`${pending.length} versions carry AWSPENDING`);
    const token = tokenOf(current[0]);
    const tg = t.version === 3 ? this.stack.tg3 : this.stack.tg4;
    if (!token) problems.push('AWSCURRENT has no token');
    else if (!tg.isLive(token)) problems.push('TigerGraph does not accept the AWSCURRENT token');

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

  /** Live tokens at both fakes, against the tokens every version of every secret holds. */
  tokenCensus(): CheckResult {
    const held = new Set<string>();
    const labelled = new Set<string>();
    for (const snap of this.stack.aws.inspectSecrets()) {
      for (const v of snap.versions) {
        const token = tokenOf(v);
        if (!token) continue;
        held.add(token);
        if (v.stages.length) labelled.add(token);
      }
    }
    const live = [...this.stack.tg3.liveTokens(), ...this.stack.tg4.liveTokens()];
    return {
      orphans: live.filter((t) => !held.has(t)),
      untracked: live.filter((t) => held.has(t) && !labelled.has(t)),
    };
  }
}

/** Every token the stack knows of: in any version of any secret, or live at either fake. */
export function knownTokens(stack: LocalStack): Set<string> {
  const tokens = new Set<string>([...stack.tg3.liveTokens(), ...stack.tg4.liveTokens()]);
  for (const snap of stack.aws.inspectSecrets()) {
    for (const v of snap.versions) {
      const token = tokenOf(v);
      if (token) tokens.add(token);
    }
  }
  return tokens;
}

/** Versions of every secret, keyed by name: to prove a failed call wrote nothing anywhere. */
export function allVersions(stack: LocalStack): Record<string, Array<[string, string[], string | undefined]>> {
  return Object.fromEntries(stack.aws.inspectSecrets().map((s) => [s.name, versionsOf(s)]));
}

/** mulberry32: the same small seeded PRNG the fake uses. */
export { prng };
