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
 *     collide is about to run and the subset holds no twin of it; a Distributed Map worker asks the
 *     list step's index instead (`options.loadFleetIndex`), for the replaced tokens it settles.
 *   A failing revoke never stands between a live token and its refresh: both are attempted and
 *   reported on their own.
 * One secret's failure never stops the others; work that would outlive the invocation is left for
 * the next run and counted as skipped. Writes and rotations share the store's rate budgets.
 *   A due secret that is paused or outside its rotation window waits (core/operations/routine.ts),
 *   unless its token would expire first; the decision needs its tags, which a listed fleet has and
 *   an id-named one reads (one DescribeSecret per due secret). Every transition is reported as a
 *   change event and recorded on the secret (core/operations/reported.ts).
 */
import pLimit, { type LimitFunction } from 'p-limit';
import type { Deps } from '../deps.js';
import { settingsFor, type OperationalSettings } from '../settings.js';
import { assertOwned, scanFleet, type FleetEntry, type FleetSource } from './fleet.js';
import { isRefreshDue, managedFrom, secondsLeft, secondsUntil, type ManagedSecret } from './managed-secret.js';
import { credentialAges, type CredentialAge } from './credential-age.js';
import { eitherIndex, FingerprintIndex, lazyFleetIndex, loadedIndex, type CurrentTokenIndex } from './holders.js';
import { renew, settleReported } from './reported.js';
import { rotationOutcomes, type StartedRotation } from './rotation-outcome.js';
import { routineDecision, type HeldBack } from './routine.js';
import { isSettleDue, type SettleReport, type TokenFate } from './settle.js';

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
  /** Due secrets whose routine work a pause or their rotation window held back (core/operations/routine.ts). */
  deferred: number;
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
  /** What held routine work back (a pause, the rotation window); with `override` when the renewal went ahead anyway. */
  heldBack?: HeldBack;
  override?: string;
}

export interface SweepOptions {
  settings: OperationalSettings;
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
  /**
   * With `fleet`: the whole fleet's current tokens as the Distributed Map's list step read them
   * (its holders index, holders-index.ts), loaded by the first check that needs it instead of
   * reading the fleet. Asked about replaced tokens only (holders.ts loadedIndex says why that is
   * sound); when it cannot be loaded, the fleet is read as without it.
   */
  loadFleetIndex?: () => Promise<CurrentTokenIndex>;
}

/** Who else may hold a token, by where the token comes from. */
interface Indexes {
  /** A replaced token about to be revoked by a settle. */
  replaced: CurrentTokenIndex;
  /** A token minted by this sweep that could not be stored (refresh.ts revokeUnstored). */
  minted: CurrentTokenIndex;
}

interface Acted {
  report: SecretReport;
  /** The rotation this secret's act started, whose outcome the sweep looks at before it returns. */
  started?: StartedRotation;
}

interface Work {
  managed: ManagedSecret;
  settings: OperationalSettings;
  refreshDue: boolean;
  settleDue: boolean;
  /** The secret's tags when the fleet was listed; read before acting otherwise (pause). */
  tags?: Readonly<Record<string, string>>;
}

export async function sweep(source: FleetSource, deps: Deps, options: SweepOptions): Promise<SweepSummary> {
  const run = new SweepRun(source, deps, options);
  /** Secrets due for a settle: acted on once the index holds the whole fleet. */
  const settleLater: Work[] = [];
  for await (const page of scanFleet(source, deps.store)) {
    for (const entry of page) {
      const item = run.check(entry);
      if (item?.settleDue) settleLater.push(item);
      else if (item?.refreshDue) run.start(item);
      else if (item) run.noteExpiry(secondsLeft(item.managed.secret, deps.clock));
    }
    options.onProgress?.(run.summary.checked);
    // Read on only while fewer than `concurrency` secrets wait for a slot: the read is cheap and
    // the acting is paced by the write budget, so reading ahead would only hold secrets in memory.
    await run.whileFull();
  }
  for (const item of settleLater) run.start(item);
  return run.finish();
}

/** One sweep's state: its summary, the index of every current token read so far, and the secrets being acted on. */
/** Milliseconds of the invocation kept free: no secret is started with less left. */
const DEFAULT_RESERVE_MS = 15_000;

class SweepRun {
  readonly summary: SweepSummary = {
    checked: 0,
    refreshed: 0,
    rotated: 0,
    rotationsStarted: 0,
    rotationsPending: 0,
    revoked: 0,
    expiring: 0,
    skipped: 0,
    deferred: 0,
    revokeFailures: 0,
    failed: [],
    minSecondsToExpiry: null,
  };
  private readonly limit: LimitFunction;
  private readonly acting = new Set<Promise<void>>();
  private readonly own = new FingerprintIndex();
  /** Rotations started, looked at for their outcome once every secret is acted on. */
  private readonly started: StartedRotation[] = [];
  /** The credential secrets the swept token secrets name (with `credentialAges`). */
  private readonly credentials = new Set<string>();
  private readonly indexes: Indexes;
  private readonly now: number;

  constructor(
    private readonly source: FleetSource,
    private readonly deps: Deps,
    private readonly options: SweepOptions,
  ) {
    this.limit = pLimit(options.settings.concurrency);
    this.indexes = sweepIndexes(source, deps, options, this.own);
    this.now = deps.clock.now();
  }

  /** Reads one entry of the fleet: the work it needs (maybe none), or undefined when it failed (recorded). */
  check(entry: FleetEntry): Work | undefined {
    this.summary.checked++;
    if (!entry.value) {
      const name = entry.error?.errorCode ?? 'Error';
      this.fail(entry.secretId, Object.assign(new Error(`${name}: ${entry.error?.message ?? 'could not be read'}`), { name }));
      return undefined;
    }
    let managed: ManagedSecret;
    try {
      // A subset named by an event (`secretIds`, a map batch) holds only secrets the deployment owns.
      assertOwned(this.options.fleet ?? this.source, entry.value.arn);
      managed = managedFrom(entry.value.arn, entry.value);
    } catch (e) {
      this.fail(entry.secretId, e);
      return undefined;
    }
    // Only a token that may collide is ever looked up (holders.ts mayBeHeldElsewhere): the others stay
    // out of the index, so a fleet of such tokens is held in memory a few secrets at a time.
    if (managed.secret.token && this.deps.providers.definition(managed.secret).planHints?.(managed.secret)?.tokensMayCollide !== false) {
      this.own.add(managed.secret.token, managed.arn);
    }
    if (this.options.credentialAges) this.credentials.add(managed.secret.credentialSecretId);
    const settings = settingsFor(managed.secret, this.options.settings);
    const tags = entry.listed?.tags;
    return {
      managed,
      settings,
      refreshDue: isRefreshDue(managed, settings, this.deps.clock),
      settleDue: isSettleDue(managed, settings.revokeGraceSeconds, this.now),
      ...(tags ? { tags } : {}),
    };
  }

  start(item: Work): void {
    // act() records every failure of its own; this catches what is left (a throwing onSecret), so
    // no promise is rejected with nobody listening while the read goes on.
    const done: Promise<void> = this.limit(() => this.run(item))
      .catch((e: unknown) => {
        this.summary.failed.push({ secretId: item.managed.secretId, error: e instanceof Error ? e.message : String(e) });
      })
      .finally(() => this.acting.delete(done));
    this.acting.add(done);
  }

  /** Waits while `concurrency` secrets wait for a slot. */
  async whileFull(): Promise<void> {
    while (this.limit.pendingCount >= this.options.settings.concurrency) await Promise.race(this.acting);
  }

  async finish(): Promise<SweepSummary> {
    await Promise.all(this.acting);
    await this.lookAtRotations();
    if (this.options.credentialAges) this.summary.credentialAges = (await credentialAges(this.deps.store, this.credentials, this.deps.clock)).ages;
    return this.summary;
  }

  /** The outcome of each rotation started (issue 22: what the sweep reports is what happened). */
  private async lookAtRotations(): Promise<void> {
    if (this.started.length === 0) return;
    const { remainingTimeMs, reserveMs = DEFAULT_RESERVE_MS, rotationOutcomeWaitMs = 0 } = this.options;
    const timeLeft = remainingTimeMs ? remainingTimeMs() - reserveMs : Number.POSITIVE_INFINITY;
    const waitMs = Math.max(0, Math.min(rotationOutcomeWaitMs, timeLeft));
    const outcomes = await rotationOutcomes(this.started, this.deps, { waitMs, concurrency: this.options.settings.concurrency });
    for (const [rotation, outcome] of outcomes) {
      if (outcome.state === 'finished') this.summary.rotated++;
      else if (outcome.state === 'running') this.summary.rotationsPending++;
      else this.fail(rotation.secretId, Object.assign(new Error(`rotation (version ${rotation.versionId}) failed: ${outcome.reason}`), { name: 'RotationFailedError' }));
    }
  }

  noteExpiry(seconds: number | null | undefined): void {
    if (typeof seconds === 'number') this.summary.minSecondsToExpiry = Math.min(this.summary.minSecondsToExpiry ?? Number.POSITIVE_INFINITY, seconds);
  }

  private fail(secretId: string, e: unknown): void {
    const report = failureReport(secretId, e);
    this.summary.failed.push({ secretId, error: report.error ?? 'unknown error' });
    this.options.onSecret?.(report);
  }

  private async run(item: Work): Promise<void> {
    const { managed } = item;
    const { remainingTimeMs, reserveMs = DEFAULT_RESERVE_MS } = this.options;
    if (remainingTimeMs && remainingTimeMs() < reserveMs) {
      this.summary.skipped++;
      this.noteExpiry(secondsLeft(managed.secret, this.deps.clock));
      this.options.onSecret?.({ ...emptyReport(managed.secretId), outcome: 'skipped' });
      return;
    }
    const { report, started } = await act(item, this.deps, this.indexes);
    // A rotation already known to have finished counts as rotated now; a started one once looked at.
    if (started) this.started.push(started);
    else if (report.action === 'rotate') this.summary.rotated++;
    this.tally(report);
    this.options.onSecret?.(report);
  }

  private tally(report: SecretReport): void {
    const s = this.summary;
    for (const fate of report.fates) {
      if (fate === 'revoked' || fate === 'already-gone') s.revoked++;
      if (fate === 'expiring') s.expiring++;
    }
    if (report.settle === 'unsettled') s.revokeFailures++;
    if (report.heldBack && !report.override && report.action === 'none' && report.settle === 'none') s.deferred++;
    if (report.action === 'refresh') s.refreshed++;
    if (report.action === 'rotate') s.rotationsStarted++;
    if (report.outcome === 'failed') s.failed.push({ secretId: report.secretId, error: report.error ?? 'unknown error' });
    this.noteExpiry(report.secondsLeft);
  }
}

/**
 * The sweep's own index of what it read first; for a subset of the fleet, then the rest of the
 * fleet: read once, lazily (lazyFleetIndex), or for a replaced token the list step's index when
 * there is one (`loadFleetIndex`).
 */
function sweepIndexes(source: FleetSource, deps: Deps, options: SweepOptions, own: FingerprintIndex): Indexes {
  if (!options.fleet || options.fleet === source) return { replaced: own, minted: own };
  const fleet = lazyFleetIndex(options.fleet, deps);
  const listed = options.loadFleetIndex
    ? loadedIndex(options.loadFleetIndex, fleet, (reason) => deps.log?.('the list step’s holders index is not used: reading the fleet instead', { reason }))
    : fleet;
  // A token minted in this sweep is newer than the list step's index (holders.ts loadedIndex), so
  // it is asked of the fleet as read now, never of that index (today's lazy read, not 'unknown').
  return { replaced: eitherIndex(own, listed), minted: eitherIndex(own, fleet) };
}

/** Settle, then refresh or rotate; each failure is recorded without stopping the other step. */
async function act(item: Work, deps: Deps, indexes: Indexes): Promise<Acted> {
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
  // A pause or the rotation window may hold the work back; the tags say whether it is paused.
  let routine: ReturnType<typeof routineDecision>;
  try {
    const tags = item.tags ?? (await deps.store.describe(managed.arn)).tags;
    routine = routineDecision({ secret: managed.secret, tags, refreshDue: item.refreshDue, settleDue: item.settleDue, settings, now: deps.clock.now() });
  } catch (e) {
    return { report: { ...failureReport(managed.secretId, e), secondsLeft: report.secondsLeft, durationMs: Math.round(performance.now() - startedAt) } };
  }
  if (routine.heldBack) report.heldBack = routine.heldBack;
  if (routine.override) report.override = routine.override;
  if (routine.settle) {
    try {
      const settled = await settleReported(managed, deps, { settings, index: indexes.replaced });
      report.settle = settled.state;
      report.fates = settled.fates.map((f) => f.fate);
      if (settled.error !== undefined) record('revoke', settled.error);
    } catch (e) {
      report.settle = 'unsettled';
      record('revoke', e);
    }
  }
  if (routine.renew) {
    try {
      const result = await renew(managed, deps, { index: indexes.minted, ...(routine.override ? { override: routine.override } : {}) });
      report.action = result.method;
      if (result.method === 'rotate' && result.state === 'pending') {
        started = { secretId: managed.secretId, versionId: result.versionId, ...(result.staleFailure !== undefined ? { staleFailure: result.staleFailure } : {}) };
      }
      if (result.expiresAt) report.secondsLeft = secondsUntil(result.expiresAt, deps.clock);
    } catch (e) {
      // renew() recorded it on the secret: each failure anew (its instant), so status and fleet
      // status show it current (issue 22).
      record('refresh', e);
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
