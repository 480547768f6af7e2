/**
 * How many sweeps fall inside a connection's refresh window (issue 22): between the first point a
 * token is due (core/operations/managed-secret.ts refreshWindowSeconds: min(refreshBeforeSeconds,
 * half its lifetime) before expiry) and its expiry, the scheduled sweep renews it, or retries after
 * a failure (the token API down, a rotation refused). Fewer than three attempts would let one
 * outage or one failing rotation run a token out; a sweep every 10 days for 30-day tokens put none
 * inside the 3-day window. The construct refuses such a schedule (rules.ts), and the README's
 * table is `refreshWindowTable()` at the defaults.
 */
import type { Duration } from 'aws-cdk-lib';
import { refreshWindowSeconds } from '../core/operations/managed-secret.js';
import { DEFAULT_SETTINGS } from '../core/settings.js';
import { DEPLOYMENT_DEFAULTS } from './defaults.js';
import { providerNames } from '../core/providers/registry.js';
import { defaultLifetimeSeconds } from './providers.js';

/** Sweeps a refresh window must hold at least. */
export const MIN_SWEEPS_IN_REFRESH_WINDOW = 3;

/** Whole sweeps (one every `scheduleRateSeconds`) inside the refresh window of a token living `lifetimeSeconds`. */
export function sweepsInRefreshWindow(lifetimeSeconds: number, refreshBeforeSeconds: number, scheduleRateSeconds: number): number {
  return Math.floor(refreshWindowSeconds(lifetimeSeconds, refreshBeforeSeconds) / scheduleRateSeconds);
}

/** The longest schedule rate (seconds) that keeps MIN_SWEEPS_IN_REFRESH_WINDOW sweeps in the window. */
export function longestScheduleRateSeconds(lifetimeSeconds: number, refreshBeforeSeconds: number): number {
  return Math.floor(refreshWindowSeconds(lifetimeSeconds, refreshBeforeSeconds) / MIN_SWEEPS_IN_REFRESH_WINDOW);
}

export interface RefreshWindowRow {
  provider: string;
  /** The lifetime a connection gets when it names none; ICA has none (its tenant sets it): the example's 12 hours. */
  lifetimeSeconds: number;
  lifetimeIsDefault: boolean;
  windowSeconds: number;
  sweeps: number;
}

/** ICA's JWT lifetime is the tenant's (no product default): the table uses the common 12 hours, as infra/config.example.json. */
const ICA_TYPICAL_LIFETIME_SECONDS = 43_200;

/** Per provider at its default lifetime and the default settings and schedule: sweeps inside the refresh window. */
export function refreshWindowTable(scheduleRate: Duration = DEPLOYMENT_DEFAULTS.scheduleRate, refreshBeforeSeconds = DEFAULT_SETTINGS.refreshBeforeSeconds): RefreshWindowRow[] {
  return providerNames().map((provider) => {
    const fromDefault = defaultLifetimeSeconds(provider);
    const lifetimeSeconds = fromDefault ?? ICA_TYPICAL_LIFETIME_SECONDS;
    return {
      provider,
      lifetimeSeconds,
      lifetimeIsDefault: fromDefault !== undefined,
      windowSeconds: refreshWindowSeconds(lifetimeSeconds, refreshBeforeSeconds),
      sweeps: sweepsInRefreshWindow(lifetimeSeconds, refreshBeforeSeconds, scheduleRate.toSeconds()),
    };
  });
}

/** The table as README.md shows it (test/infra/sweep-window.test.ts keeps the two equal). */
export function refreshWindowMarkdown(rows: readonly RefreshWindowRow[] = refreshWindowTable()): string {
  const hours = (s: number) => `${s / 3600} h`;
  const lines = [
    '| provider | token lifetime | refresh window | sweeps inside it (hourly) |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.provider} | ${hours(r.lifetimeSeconds)}${r.lifetimeIsDefault ? ' (default)' : ' (tenant-set; typical)'} | ${hours(r.windowSeconds)} | ${r.sweeps} |`),
  ];
  return lines.join('\n');
}
