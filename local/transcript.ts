/**
 * Small helpers for the local run's readable transcript: headings, aligned tables, and secret
 * version views that only ever show masked tokens.
 */
import { maskToken } from '../core/providers/provider.js';
import type { SecretSnapshot } from './aws/index.js';

export function heading(text: string): string {
  return `\n== ${text} ${'='.repeat(Math.max(0, 76 - text.length))}`;
}

/** A plain aligned table (no colours, so it reads the same in a log file). */
export function table(rows: Array<Record<string, string>>): string {
  if (rows.length === 0) return '  (none)';
  const columns = Object.keys(rows[0]!);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => '  ' + cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => r[c] ?? '')))].join('\n');
}

/** Versions that carry a staging label, newest first, token masked. */
export function versionRows(snapshot: SecretSnapshot, now: number): Array<Record<string, string>> {
  return snapshot.versions
    .filter((v) => v.stages.length > 0)
    .reverse()
    .map((v) => {
      const value = v.secretString ? (JSON.parse(v.secretString) as { token?: string; expiresAt?: string }) : {};
      return {
        version: v.versionId.slice(0, 8),
        stages: v.stages.join(','),
        token: maskToken(value.token),
        expiresAt: value.expiresAt ?? '-',
        left: value.expiresAt ? humanDuration((Date.parse(value.expiresAt) - now) / 1000) : '-',
      };
    });
}

export function humanDuration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  let s = Math.abs(Math.round(seconds));
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3_600);
  s -= h * 3_600;
  const m = Math.floor(s / 60);
  if (d > 0) return `${sign}${d}d ${h}h`;
  if (h > 0) return `${sign}${h}h ${m}m`;
  return `${sign}${m}m ${s - m * 60}s`;
}
