/**
 * Issue 22: at least three sweeps inside every connection's refresh window (from the first point a
 * token is due to its expiry), checked by the construct and the JSON config, and the README's table
 * of sweeps per window at the defaults, computed from the code's own defaults.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../infra/config.js';
import { TokenRotation } from '../../infra/construct.js';
import { MIN_SWEEPS_IN_REFRESH_WINDOW, refreshWindowMarkdown, refreshWindowTable, sweepsInRefreshWindow } from '../../infra/sweep-window.js';
import { REPO_ROOT } from './helpers.js';

const DAY = 86_400;
const tg = { name: 'analytics', host: 'https://tg.example.com', tigergraphVersion: '4' as const, lifetimeSeconds: 30 * DAY, rotationInterval: Duration.days(7) };
const make = (extra: Partial<ConstructorParameters<typeof TokenRotation>[2]>) => () => new TokenRotation(new Stack(new App(), 'S'), 'R', { connections: [tg], ...extra });

describe('sweeps inside the refresh window', () => {
  it('counts whole sweeps between the first due point (min(refreshBeforeSeconds, half the lifetime) before expiry) and expiry', () => {
    expect(sweepsInRefreshWindow(30 * DAY, 3 * DAY, 3600)).toBe(72);
    expect(sweepsInRefreshWindow(30 * DAY, 3 * DAY, 10 * DAY)).toBe(0);
    expect(sweepsInRefreshWindow(12 * 3600, 3 * DAY, 3600)).toBe(6); // half of 12 hours
  });

  it('the construct refuses a sweep every 10 days for 30-day tokens (no sweep inside the 3-day window), naming scheduleRate and the longest rate that works', () => {
    expect(make({ scheduleRate: Duration.days(10) })).toThrow(
      /TokenRotation: scheduleRate: expected at most 1440 minutes: tokens of connections\[0\] are renewed in the last min\(refreshBeforeSeconds, half of lifetimeSeconds\) of their life, which holds 0 sweep\(s\) at this rate; at least 3 are needed/,
    );
    // Within the 12-hour longest schedule: a 30-hour window holds 2 sweeps of 12 hours; a 36-hour one holds 3.
    expect(make({ scheduleRate: Duration.hours(12), refreshBeforeSeconds: 30 * 3600 })).toThrow(/expected at most 600 minutes: .* holds 2 sweep\(s\) at this rate/);
    expect(make({ scheduleRate: Duration.hours(12), refreshBeforeSeconds: 36 * 3600 })).not.toThrow(/scheduleRate/);
  });

  it('the JSON config refuses it too, in its own field names', () => {
    expect(() =>
      parseConfig({
        connections: [{ name: 'analytics', host: 'https://tg.example.com', tigergraphVersion: '4', lifetimeSeconds: 30 * DAY, rotationIntervalHours: 168 }],
        scheduleRateMinutes: 12 * 60,
        refreshBeforeSeconds: 30 * 3600,
      }),
    ).toThrow(/scheduleRateMinutes: expected at most 600 minutes: tokens of connections\[0\] are renewed .* holds 2 sweep\(s\) at this rate; at least 3 are needed/);
  });

  it('at every provider’s default lifetime and the default settings, every window holds at least 3 sweeps, and README.md shows that table', () => {
    const rows = refreshWindowTable();
    expect(rows.map((r) => r.provider).sort()).toEqual(['ica', 'tigergraph', 'trifacta']);
    for (const row of rows) expect(row.sweeps, row.provider).toBeGreaterThanOrEqual(MIN_SWEEPS_IN_REFRESH_WINDOW);
    expect(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')).toContain(refreshWindowMarkdown(rows));
  });
});
