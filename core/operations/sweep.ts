/**
 * The scheduled sweep: for each managed secret, revoke the previous token once its grace period
 * is over, then refresh or rotate the current one if it expires within `refreshBeforeSeconds`.
 * Bounded concurrency; one secret's failure never stops the others; work that would outlive the
 * invocation is left for the next run and counted as skipped.
 */
import pLimit from 'p-limit';
import { settingsFor, type Settings } from '../settings.js';
import { ManagedSecret, refreshOrRotate, revokePrevious, secondsUntil, type OperationDeps } from './token-ops.js';

export interface SweepSummary {
  checked: number;
  refreshed: number;
  rotated: number;
  revoked: number;
  skipped: number;
  failed: Array<{ secretId: string; error: string }>;
  /** Smallest seconds-to-expiry seen after the sweep acted (null when no secret had a known expiry). */
  minSecondsToExpiry: number | null;
}

export interface SecretReport {
  secretId: string;
  outcome: 'ok' | 'failed' | 'skipped';
  action: 'none' | 'refresh' | 'rotate';
  revoke: string;
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
  onSecret?: (report: SecretReport) => void;
}

export async function sweep(secretIds: readonly string[], deps: OperationDeps, options: SweepOptions): Promise<SweepSummary> {
  const summary: SweepSummary = { checked: 0, refreshed: 0, rotated: 0, revoked: 0, skipped: 0, failed: [], minSecondsToExpiry: null };
  const limit = pLimit(options.settings.concurrency);
  const reserveMs = options.reserveMs ?? 15_000;
  const unique = [...new Set(secretIds)];

  await Promise.all(
    unique.map((secretId) =>
      limit(async () => {
        if (options.remainingTimeMs && options.remainingTimeMs() < reserveMs) {
          summary.skipped++;
          options.onSecret?.({ secretId, outcome: 'skipped', action: 'none', revoke: 'none', secondsLeft: null, durationMs: 0 });
          return;
        }
        const report = await maintainOne(secretId, deps, options.settings);
        summary.checked++;
        if (report.outcome === 'failed') summary.failed.push({ secretId, error: report.error ?? 'unknown error' });
        if (report.action === 'refresh') summary.refreshed++;
        if (report.action === 'rotate') summary.rotated++;
        if (report.revoke === 'revoked' || report.revoke === 'already-gone') summary.revoked++;
        if (report.secondsLeft !== null) {
          summary.minSecondsToExpiry = Math.min(summary.minSecondsToExpiry ?? Number.POSITIVE_INFINITY, report.secondsLeft);
        }
        options.onSecret?.(report);
      }),
    ),
  );
  return summary;
}

async function maintainOne(secretId: string, deps: OperationDeps, globalSettings: Settings): Promise<SecretReport> {
  const started = performance.now();
  const report: SecretReport = { secretId, outcome: 'ok', action: 'none', revoke: 'none', secondsLeft: null, durationMs: 0 };
  try {
    const managed = await ManagedSecret.load(secretId, deps);
    const settings = settingsFor(managed.secret, globalSettings);
    // Revoke first: a rotation below would move AWSPREVIOUS and lose track of the older token.
    report.revoke = await revokePrevious(managed, deps, { graceSeconds: settings.revokeGraceSeconds });
    const secondsLeft = managed.secondsLeft();
    report.secondsLeft = secondsLeft ?? null;
    if (secondsLeft === undefined || secondsLeft <= settings.refreshBeforeSeconds) {
      const result = await refreshOrRotate(managed, deps);
      report.action = result.method;
      report.secondsLeft = result.expiresAt ? secondsUntil(result.expiresAt, deps.clock) : report.secondsLeft;
    }
  } catch (e) {
    report.outcome = 'failed';
    report.error = e instanceof Error ? e.message : String(e);
    report.errorName = e instanceof Error ? e.name : 'Unknown';
  }
  report.durationMs = Math.round(performance.now() - started);
  return report;
}
