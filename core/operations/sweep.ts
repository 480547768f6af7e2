/**
 * The scheduled sweep: one pass over the fleet (core/operations/fleet.ts), read in batches, acting
 * as it reads:
 *   - check: every managed secret is read in batches; it is due for a refresh (its refresh point,
 *     core/operations/managed-secret.ts) or a settle (replaced tokens to revoke after the grace
 *     period, core/operations/settle.ts), or it costs its share of a batched read and nothing else.
 *     Every current token is indexed by fingerprint, so no revoke touches a token another secret
 *     holds as current.
 *   - act: a secret due only for a refresh is refreshed (or rotated) while the read goes on, with
 *     bounded concurrency; the read waits while `concurrency` secrets wait for a slot, so memory
 *     holds a few dozen secrets however large the fleet (issue 15: 10,000 due secrets held at once
 *     were most of the sweep's peak memory). A secret due for a settle waits until the whole fleet
 *     is read: only then does the index know every holder of the token it would revoke. It is
 *     settled first, then refreshed. A sweep over a subset of the fleet (`options.fleet`) also
 *     reads the whole fleet's current tokens, once, but only when a revoke of a token that can
 *     collide is about to run and the subset holds no twin of it.
 *   A failing revoke never stands between a live token and its refresh: both are attempted and
 *   reported on their own.
 * One secret's failure never stops the others; work that would outlive the invocation is left for
 * the next run and counted as skipped. Writes and rotations share the store's rate budgets.
 */
import pLimit from 'p-limit';
import type { Deps } from '../deps.js';
import { settingsFor, type Settings } from '../settings.js';
import { assertOwned, scanFleet, type FleetSource } from './fleet.js';
import { isRefreshDue, managedFrom, secondsLeft, secondsUntil, type ManagedSecret } from './managed-secret.js';
import { RotationStateError } from '../errors.js';
import { recordSweepFailure } from '../rotation/failure-record.js';
import { refreshOrRotate } from './refresh.js';
import { rotationOutcomes, type StartedRotation } from './rotation-outcome.js';
import { credentialAges, type CredentialAge } from './credential-age.js';
import { eitherIndex, FingerprintIndex, isSettleDue, lazyFleetIndex, settle, type CurrentTokenIndex, type SettleReport, type TokenFate } from './settle.js';

export interface SweepSummary {
  /** Secrets read. */
  checked: number;
  refreshed: number;
  /**
   * Rotations that finished (their new version AWSCURRENT) by the time the sweep returned. Before
   * issue 22 this counted rotations started, so an outage read as "rotated 37".
   */
  rotated: number;
  /** Rotations started (RotateSecret accepted; a failed one re-driven on its own version counts too). */
  rotationsStarted: number;
  /** Rotations started whose outcome was not known when the sweep returned (neither finished nor failed yet). */
  rotationsPending: number;
  /** Replaced tokens revoked now, or proven gone already. */
  revoked: number;
  /** Replaced tokens left to expire on their own (the provider cannot, or by policy should not, revoke them). */
  expiring: number;
  /** Due secrets left for the next run because the invocation was running out of time. */
  skipped: number;
  /** Revokes that failed or could not be confirmed (the secret stays unsettled and is retried). */
  revokeFailures: number;
  failed: Array<{ secretId: string; error: string }>;
  /** Soonest expiry among the tokens apps hold after the sweep acted (null when none has a known expiry). */
  minSecondsToExpiry: number | null;
  /** With `credentialAges`: the age of each credential secret the sweep's token secrets name (credential-age.ts). */
  credentialAges?: CredentialAge[];
}

export interface SecretReport {
  secretId: string;
  outcome: 'ok' | 'failed' | 'skipped';
  action: 'none' | 'refresh' | 'rotate';
  settle: SettleReport['state'] | 'none';
  fates: TokenFate[];
  secondsLeft: number | null;
  durationMs: number;
  error?: string;
  errorName?: string;
}

export interface SweepOptions {
  settings: Settings;
  /** Milliseconds the invocation has left; the sweep starts no new secret below `reserveMs`. */
  remainingTimeMs?: () => number;
  reserveMs?: number;
  /** Called for every secret that had something done, failed or was skipped (not for the quiet majority). */
  onSecret?: (report: SecretReport) => void;
  /** Called after each page of the check pass: secrets checked so far. */
  onProgress?: (checked: number) => void;
  /**
   * How long (real ms) to keep looking at the rotations the sweep started, once it has started
   * them all, for their outcome: a rotation that fails at once is listed in `failed`, one that
   * finished counts as rotated, the rest as pending. Default 0: one look. Never past
   * `remainingTimeMs` less `reserveMs`.
   */
  rotationOutcomeWaitMs?: number;
  /** Measure the credential secrets the swept token secrets name (one DescribeSecret each per run). */
  credentialAges?: boolean;
  /**
   * The whole fleet, when the sweep's source is a subset of it (a `secretIds` event, a Distributed
   * Map batch): a secret of the subset outside it is refused (the deployment does not own it), and
   * a token the sweep would revoke may be another secret's current token outside the subset. Read
   * (once, lazily) only when a revoke of a token that can collide finds no holder in the sweep's
   * own index.
   */
  fleet?: FleetSource;
}

interface Acted {
  report: SecretReport;
  /** The rotation this secret's act started, whose outcome the sweep looks at before it returns. */
  started?: StartedRotation;
}

interface Work {
  managed: ManagedSecret;
  settings: Settings;
  refreshDue: boolean;
  settleDue: boolean;
}

export async function sweep(source: FleetSource, deps: Deps, options: SweepOptions): Promise<SweepSummary> {
  const summary: SweepSummary = {
    checked: 0,
    refreshed: 0,
    rotated: 0,
    rotationsStarted: 0,
    rotationsPending: 0,
    revoked: 0,
    expiring: 0,
    skipped: 0,
    revokeFailures: 0,
    failed: [],
    minSecondsToExpiry: null,
  };
  const noteExpiry = (seconds: number | null | undefined) => {
    if (typeof seconds === 'number') summary.minSecondsToExpiry = Math.min(summary.minSecondsToExpiry ?? Number.POSITIVE_INFINITY, seconds);
  };
  const fail = (secretId: string, e: unknown) => {
    const report = failureReport(secretId, e);
    summary.failed.push({ secretId, error: report.error ?? 'unknown error' });
    options.onSecret?.(report);
  };

  const limit = pLimit(options.settings.concurrency);
  const started: StartedRotation[] = [];
  const credentials = new Set<string>();
  const reserveMs = options.reserveMs ?? 15_000;
  const run = async (item: Work) => {
    const { managed } = item;
    if (options.remainingTimeMs && options.remainingTimeMs() < reserveMs) {
      summary.skipped++;
      noteExpiry(secondsLeft(managed.secret, deps.clock));
      options.onSecret?.({ ...emptyReport(managed.secretId), outcome: 'skipped' });
      return;
    }
    const { report, started: rotation } = await act(item, deps, index);
    if (rotation) started.push(rotation);
    // A rotation already known to have finished (not one the sweep has to look at again).
    else if (report.action === 'rotate') summary.rotated++;
    for (const fate of report.fates) {
      if (fate === 'revoked' || fate === 'already-gone') summary.revoked++;
      if (fate === 'expiring') summary.expiring++;
    }
    if (report.settle === 'unsettled') summary.revokeFailures++;
    if (report.action === 'refresh') summary.refreshed++;
    if (report.action === 'rotate') summary.rotationsStarted++;
    if (report.outcome === 'failed') summary.failed.push({ secretId: managed.secretId, error: report.error ?? 'unknown error' });
    noteExpiry(report.secondsLeft);
    options.onSecret?.(report);
  };
  const acting = new Set<Promise<void>>();
  const start = (item: Work) => {
    // act() records every failure of its own; this catches what is left (a throwing onSecret), so
    // no promise is rejected with nobody listening while the read goes on.
    const done: Promise<void> = limit(() => run(item))
      .catch((e: unknown) => {
        summary.failed.push({ secretId: item.managed.secretId, error: e instanceof Error ? e.message : String(e) });
      })
      .finally(() => acting.delete(done));
    acting.add(done);
  };

  const own = new FingerprintIndex();
  const index: CurrentTokenIndex = options.fleet && options.fleet !== source ? eitherIndex(own, lazyFleetIndex(options.fleet, deps)) : own;
  /** Secrets due for a settle: acted on once the index holds the whole fleet. */
  const settleLater: Work[] = [];
  const now = deps.clock.now();
  for await (const page of scanFleet(source, deps.store)) {
    for (const entry of page) {
      summary.checked++;
      if (!entry.value) {
        fail(entry.secretId, Object.assign(new Error(`${entry.error?.errorCode ?? 'Error'}: ${entry.error?.message ?? 'could not be read'}`), { name: entry.error?.errorCode ?? 'Error' }));
        continue;
      }
      let managed: ManagedSecret;
      try {
        // A subset named by an event (`secretIds`, a map batch) holds only secrets the deployment owns.
        assertOwned(options.fleet ?? source, entry.value.arn);
        managed = managedFrom(entry.value.arn, entry.value);
      } catch (e) {
        fail(entry.secretId, e);
        continue;
      }
      if (managed.secret.token) own.add(managed.secret.token, managed.arn);
      if (options.credentialAges) credentials.add(managed.secret.credentialSecretId);
      const settings = settingsFor(managed.secret, options.settings);
      const refreshDue = isRefreshDue(managed, settings, deps.clock);
      const settleDue = isSettleDue(managed, settings.revokeGraceSeconds, now);
      if (settleDue) settleLater.push({ managed, settings, refreshDue, settleDue });
      else if (refreshDue) start({ managed, settings, refreshDue, settleDue });
      else noteExpiry(secondsLeft(managed.secret, deps.clock));
    }
    options.onProgress?.(summary.checked);
    // Read on only while fewer than `concurrency` secrets wait for a slot: the read is cheap and
    // the acting is paced by the write budget, so reading ahead would only hold secrets in memory.
    while (limit.pendingCount >= options.settings.concurrency) await Promise.race(acting);
  }
  for (const item of settleLater) start(item);
  await Promise.all(acting);
  if (started.length > 0) {
    const timeLeft = options.remainingTimeMs ? options.remainingTimeMs() - reserveMs : Number.POSITIVE_INFINITY;
    const waitMs = Math.max(0, Math.min(options.rotationOutcomeWaitMs ?? 0, timeLeft));
    const outcomes = await rotationOutcomes(started, deps, { waitMs, concurrency: options.settings.concurrency });
    for (const [rotation, outcome] of outcomes) {
      if (outcome.state === 'finished') summary.rotated++;
      else if (outcome.state === 'running') summary.rotationsPending++;
      else fail(rotation.secretId, Object.assign(new Error(`rotation (version ${rotation.versionId}) failed: ${outcome.reason}`), { name: 'RotationFailedError' }));
    }
  }
  if (options.credentialAges) summary.credentialAges = (await credentialAges(deps.store, credentials, deps.clock)).ages;
  return summary;
}

/** Settle, then refresh or rotate; each failure is recorded without stopping the other step. */
async function act(item: Work, deps: Deps, index: CurrentTokenIndex): Promise<Acted> {
  const startedAt = performance.now();
  const { managed, settings } = item;
  const report = emptyReport(managed.secretId);
  report.secondsLeft = secondsLeft(managed.secret, deps.clock) ?? null;
  const errors: string[] = [];
  let errorName: string | undefined;
  let started: StartedRotation | undefined;
  const record = (step: string, e: unknown) => {
    errors.push(`${step}: ${e instanceof Error ? e.message : String(e)}`);
    errorName ??= e instanceof Error ? e.name : 'Unknown';
  };
  if (item.settleDue) {
    try {
      const settled = await settle(managed, deps, { settings, index });
      report.settle = settled.state;
      report.fates = settled.fates.map((f) => f.fate);
      if (settled.error !== undefined) record('revoke', settled.error);
    } catch (e) {
      report.settle = 'unsettled';
      record('revoke', e);
    }
  }
  if (item.refreshDue) {
    try {
      const result = await refreshOrRotate(managed, deps, { index });
      report.action = result.method;
      if (result.method === 'rotate' && result.state === 'pending') {
        started = { secretId: managed.secretId, versionId: result.versionId, ...(result.staleFailure !== undefined ? { staleFailure: result.staleFailure } : {}) };
      }
      if (result.expiresAt) report.secondsLeft = secondsUntil(result.expiresAt, deps.clock);
    } catch (e) {
      record('refresh', e);
      // The same failure again is a new record (its instant), so status and fleet status show it
      // current; a rotation in progress is not a failure of this step (issue 22).
      if (!(e instanceof RotationStateError)) await recordSweepFailure(deps.store, managed.arn, 'refresh', e);
    }
  }
  if (errors.length > 0) {
    report.outcome = 'failed';
    report.error = errors.join('; ');
    report.errorName = errorName;
  }
  report.durationMs = Math.round(performance.now() - startedAt);
  return { report, ...(started ? { started } : {}) };
}

function emptyReport(secretId: string): SecretReport {
  return { secretId, outcome: 'ok', action: 'none', settle: 'none', fates: [], secondsLeft: null, durationMs: 0 };
}

function failureReport(secretId: string, e: unknown): SecretReport {
  return {
    ...emptyReport(secretId),
    outcome: 'failed',
    error: e instanceof Error ? e.message : String(e),
    errorName: e instanceof Error ? e.name : 'Unknown',
  };
}
