/**
 * Part of section 4: a planning run for a fleet of 1,000,000 token secrets, with
 * core/operations/fleet-plan.ts planMap (the Step Functions Distributed Map mode): batches, the
 * map's concurrency, each worker's share of the budgets, the calls, and the expected wall time
 * under the write budget, checked against Secrets Manager's quotas. Pure arithmetic: nothing runs.
 *
 * The scenarios (an hourly sweep, the construct's default schedule; the default budgets 40 writes/s
 * and 40 rotations/s, core/settings.ts):
 *   refresh    TigerGraph 3.x: 30-day tokens refreshed in place 3 days before expiry, so each secret
 *              is refreshed once every 27 days = 1/648 of the fleet per hourly sweep; an in-place
 *              refresh keeps the secret settled, so nothing to settle;
 *   rotate     every secret rotated weekly by the sweep (4.x tokens cannot be refreshed in place;
 *              a weekly renewal policy), so 1/168 of the fleet per sweep is rotated, and as many
 *              rotations of the previous hours are settled (revoke after the grace period);
 *   worst day  a fleet created within one day: its tokens come due within one day (the per-secret
 *              jitter spreads them over at most an hour), so 1/24 of the fleet per hourly sweep is
 *              refreshed (a migration, or the first expiry after a bulk creation).
 * Each is checked with fleet-plan's 2 writes per refresh and again with the writes per refresh
 * this run measured (the steady state writes 3; see the due sweeps).
 */
import { planMap, WRITES_PER_REFRESH, WRITES_PER_SETTLE, type MapPlan, type MapPlanInput } from '../../core/operations/fleet-plan.js';
import { WRITES_PER_ROTATION } from '../../core/secrets/store.js';
import { DEFAULT_SETTINGS } from '../../core/settings.js';
import { goal, type Goal } from '../lib/results.js';
import { round } from '../lib/stats.js';
import type { Table } from '../lib/table.js';

export const PLAN_SECRETS = 1_000_000;
/** The construct's default schedule: one sweep an hour. */
export const SWEEP_INTERVAL_SECONDS = 3_600;

export interface PlanScenario {
  id: 'refresh' | 'rotate' | 'worst-day';
  describe: string;
  input: MapPlanInput;
}

export interface PlanRow {
  id: PlanScenario['id'];
  describe: string;
  input: MapPlanInput;
  plan: MapPlan;
  /** Expected seconds with the measured writes per refresh instead of fleet-plan's 2. */
  expectedSecondsMeasured: number;
  writesPerRefreshMeasured: number;
  checksFailed: string[];
}

export interface PlanData {
  secrets: number;
  sweepIntervalSeconds: number;
  scenarios: PlanRow[];
}

export function planScenarios(secrets = PLAN_SECRETS): PlanScenario[] {
  const base = {
    secrets,
    writesPerSecond: DEFAULT_SETTINGS.writesPerSecond,
    rotationsPerSecond: DEFAULT_SETTINGS.rotationsPerSecond,
    tagDiscovery: false,
  };
  const everyHours = (hours: number) => 1 / hours;
  return [
    {
      id: 'refresh',
      describe: 'hourly sweep; 30-day 3.x tokens refreshed in place 3 days before expiry (1/648 of the fleet per sweep)',
      input: { ...base, refreshFraction: everyHours(27 * 24), rotateFraction: 0, settleFraction: 0 },
    },
    {
      id: 'rotate',
      describe: 'hourly sweep; every secret rotated weekly by the sweep and settled after the grace period (1/168 each per sweep)',
      input: { ...base, refreshFraction: 0, rotateFraction: everyHours(7 * 24), settleFraction: everyHours(7 * 24) },
    },
    {
      id: 'worst-day',
      describe: 'hourly sweep; a fleet created within one day comes due within one day (1/24 of the fleet refreshed per sweep)',
      input: { ...base, refreshFraction: everyHours(24), rotateFraction: 0, settleFraction: 0 },
    },
  ];
}

export function runPlan(writesPerRefreshMeasured: number): { data: PlanData; tables: Table[]; goals: Goal[]; findings: string[] } {
  const scenarios: PlanRow[] = planScenarios().map((s) => {
    const plan = planMap(s.input);
    const n = s.input.secrets;
    const writesMeasured =
      n * s.input.refreshFraction * writesPerRefreshMeasured + n * s.input.settleFraction * WRITES_PER_SETTLE + n * s.input.rotateFraction * WRITES_PER_ROTATION;
    // The same bound as planMap's, with the write count replaced: per worker, rounds of batches.
    const share = plan.batchSize / n;
    const batchSecondsMeasured = Math.max(plan.batchSeconds, (writesMeasured * share) / plan.perWorker.writesPerSecond);
    const expectedSecondsMeasured = Math.max(writesMeasured / s.input.writesPerSecond, Math.ceil(plan.batches / plan.maxConcurrency) * batchSecondsMeasured, plan.expectedSeconds);
    return {
      id: s.id,
      describe: s.describe,
      input: s.input,
      plan,
      expectedSecondsMeasured,
      writesPerRefreshMeasured,
      checksFailed: plan.checks.filter((c) => !c.ok).map((c) => `${c.quota}: ${round(c.peakPerSecond)} > ${c.limitPerSecond}`),
    };
  });

  const goals: Goal[] = [];
  const findings: string[] = [];
  for (const r of scenarios) {
    goals.push(goal('sweep', `plan 1,000,000 (${r.id}): quota checks failed`, r.checksFailed.length, '<=', 0, 'checks'));
    goals.push(goal('sweep', `plan 1,000,000 (${r.id}): expected wall time (s), measured writes per refresh`, round(r.expectedSecondsMeasured, 0), '<=', SWEEP_INTERVAL_SECONDS, 's'));
    if (r.checksFailed.length) findings.push(`plan ${r.id}: quota checks fail: ${r.checksFailed.join('; ')}`);
    if (r.expectedSecondsMeasured > SWEEP_INTERVAL_SECONDS) {
      findings.push(`plan ${r.id}: ${round(r.expectedSecondsMeasured, 0)} s expected, longer than the ${SWEEP_INTERVAL_SECONDS} s between sweeps: the next sweep would start before this one finished.`);
    }
  }
  const hms = (s: number) => (s >= 3600 ? `${round(s / 3600, 1)} h` : s >= 60 ? `${round(s / 60, 1)} min` : `${round(s, 0)} s`);
  const table: Table = {
    title: `Plan for ${PLAN_SECRETS.toLocaleString('en-US')} secrets (core/operations/fleet-plan.ts planMap: Distributed Map, default budgets ${DEFAULT_SETTINGS.writesPerSecond} writes/s and ${DEFAULT_SETTINGS.rotationsPerSecond} rotations/s, reads at 80 % of the BatchGetSecretValue quota)`,
    columns: [
      'scenario',
      'refreshes',
      'rotations',
      'settles',
      'BatchGet calls',
      'writes',
      'batches x size',
      'map concurrency',
      'writes/s per worker',
      's per batch',
      'bound by',
      'expected wall',
      `wall at ${writesPerRefreshMeasured} writes/refresh`,
      'quota checks',
    ],
    rows: scenarios.map((r) => [
      r.id,
      Math.round(r.input.secrets * r.input.refreshFraction),
      r.plan.calls.rotations,
      Math.round(r.input.secrets * r.input.settleFraction),
      r.plan.calls.batchGet,
      r.plan.calls.writes,
      `${r.plan.batches} x ${r.plan.batchSize}`,
      r.plan.maxConcurrency,
      round(r.plan.perWorker.writesPerSecond, 2),
      round(r.plan.batchSeconds, 1),
      r.plan.boundBy,
      hms(r.plan.expectedSeconds),
      hms(r.expectedSecondsMeasured),
      r.checksFailed.length ? `FAILED: ${r.checksFailed.join('; ')}` : `${r.plan.checks.length} ok`,
    ]),
    notes: [
      ...scenarios.map((r) => `${r.id}: ${r.describe}.`),
      `Per secret, as fleet-plan.ts counts them: 1/20 BatchGetSecretValue for every secret; a refresh 1 DescribeSecret + ${WRITES_PER_REFRESH} writes; a rotation 1 RotateSecret + 1 DescribeSecret + ${WRITES_PER_ROTATION} writes (in the rotation function, from the sweep's write budget); a settle 1 DescribeSecret + 1 GetSecretValue + ${WRITES_PER_SETTLE} writes.`,
      'Quota checks (fleet-plan.ts): the write budget under the 50/s write quota, the rotation budget under the 50/s RotateSecret quota, reads at 80 % of the 100/s BatchGetSecretValue quota, and one batch within half of Lambda\'s 900 s.',
      `"bound by": the slowest of reads (BatchGetSecretValue at 80/s: ${PLAN_SECRETS.toLocaleString('en-US')} / 20 / 80 = ${round(PLAN_SECRETS / 20 / 80, 0)} s), writes and rotations at their budgets, and rounds of batches at each worker's share.`,
    ],
  };
  return { data: { secrets: PLAN_SECRETS, sweepIntervalSeconds: SWEEP_INTERVAL_SECONDS, scenarios }, tables: [table], goals, findings };
}
