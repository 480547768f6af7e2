/**
 * Section 4: the sweep at fleet scale. The bundled scheduled-refresh handler runs in a child
 * process (the "Lambda") against the local Secrets Manager/SSM endpoint and the fake TigerGraph 3.x,
 * both served by this process, so the child's CPU time (process.cpuUsage) and peak RSS are the
 * function's own. Every Secrets Manager call is counted at the endpoint (aws.operationCounters()).
 *
 * The fleet: TigerGraph 3.x token secrets sharing one credential secret, each in the state a
 * refreshed and settled secret is in between sweeps: AWSCURRENT holds a 30-day token and carries
 * TGSETTLED, AWSPREVIOUS is on an older version holding the same token (a refresh in place leaves
 * that). Setup mints the tokens at the fake and writes the versions directly; it is not timed.
 *
 * Per fleet size, each run a fresh child process:
 *   not-due       a scheduled sweep (tag discovery, settings from SSM, the default budgets) of a
 *                 fleet where nothing is due: the read pass alone;
 *   old-design    baseline: the reads of the sweep's design before batching (ListSecrets, then
 *                 GetSecretValue AWSCURRENT and AWSPREVIOUS per secret), bare SDK (bench/baseline/fleet-sdk.ts);
 *   batched-read  baseline: ListSecrets + BatchGetSecretValue of the same fleet, bare SDK: the
 *                 floor for the not-due sweep's CPU;
 *   due           the clock moved past every secret's refresh point; one Distributed Map worker
 *                 ({Items, BatchInput}) with the whole fleet as its batch and the write/rotation
 *                 budgets and the concurrency at `budgetScale` x the defaults, against the local
 *                 write/RotateSecret quotas raised by the same factor (budget/quota stays 40/50);
 *                 every other quota at AWS's value. Every secret is refreshed in place (1
 *                 TigerGraph call, +20 ms);
 *   due-aws-defaults (first size) a scheduled sweep of 200 more due secrets ({secretIds}, not
 *                 tagged) at the default 40 writes/s against AWS's quotas;
 *   write-ceiling baseline: what the endpoint serves at this fleet size right now (a bare-SDK
 *                 client repeating a refresh's calls, unpaced, as many in flight as the due run);
 *   profiles      (the largest size up to 1,000) one not-due and one due sweep under --cpu-prof.
 *   outage        (first size, issue 22) a scheduled sweep of the untagged secrets with the token API
 *                 down from the first due point (every refresh answered 503): every secret must be
 *                 reported failed, nothing refreshed or revoked, every AWSCURRENT token still live.
 *                 The outage then lasts a day (the clock moves on); due-aws-defaults is its recovery;
 *   recovery goals (issue 22) at the goal size the due run is that drain: 0 throttling failures, no
 *                 token expired (MinSecondsToExpiry > 0), and its wall time within 1.25x of what
 *                 fleet-plan.ts predicts for it.
 * The goals (MAX_* and MIN_* below) and why they are what they are: bench/RESULTS.md section 4.
 * Quotas are on (ThrottlingException beyond them) in every measured run, off during setup.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import pLimit from 'p-limit';
import { DEFAULT_READ_SHARE, planSweep, SECRETS_MANAGER_BATCH_GET_QUOTA, type FleetPlanInput } from '../../core/operations/fleet-plan.js';
import { SETTLED } from '../../core/secrets/store.js';
import { withIssuedToken } from '../../core/secrets/token-secret.js';
import { CONCURRENCY_BOUNDS, DEFAULT_SETTINGS } from '../../core/settings.js';
import { createTigerGraphProvider } from '../../core/providers/tigergraph/index.js';
import type { QuotaOptions } from '../../local/aws/index.js';
import { MANAGED_TAG, startLocalStack, type LocalStack } from '../../local/stack.js';
import type { SweepChildReport } from '../child/sweep.js';
import { buildAllBundles, buildChildScripts, type Bundles } from '../lib/bundles.js';
import { runChild } from '../lib/child.js';
import { findProfile, summarizeCpuProfile, type CpuBreakdown } from '../lib/cpu-profile.js';
import { deployedMemoryMB, lambdaEnv, lambdaRuntimeNodeArgs } from '../lib/lambda-env.js';
import { goal, type Goal, type SectionResult } from '../lib/results.js';
import { median, percentile, ratio, round } from '../lib/stats.js';
import type { Table } from '../lib/table.js';
import { runPlan, type PlanData } from './sweep-plan.js';

/** Added to every fake TigerGraph call. */
export const LATENCY_MS = 20;
/** Goal: Secrets Manager calls per not-due secret (1/20 BatchGetSecretValue + 1/100 ListSecrets = 0.06). */
export const MAX_CALLS_PER_NOT_DUE = 0.1;
/** Goal: achieved write rate / write budget in the due sweeps. */
export const MIN_WRITE_RATE_RATIO = 0.9;
/** Reported per memory setting, no longer a goal (issue 22: the runtime's young generation sets it, not the sweep). */
export const MAX_RSS_MB = 128;
/**
 * Goal (issue 22): what the sweep keeps, memory still in use after a full GC at the end of the due
 * sweep, at every fleet size, and flat in it: at most this, and the largest size at most
 * MAX_RETAINED_GROWTH times the smallest.
 */
export const MAX_RETAINED_MB = 15;
export const MAX_RETAINED_GROWTH = 1.25;
/** Goal (issue 22): the recovery drain's wall time at most this multiple of fleet-plan.ts's expectation. */
export const MAX_DRAIN_TO_PLAN = 1.25;
/** Current tokens checked live after the outage run (a sample: each is a fake lookup). */
const OUTAGE_SAMPLE = 50;
/** The write-rate, throttling and RSS goals apply at this size (or the largest size run, when smaller). */
export const GOAL_SIZE = 10_000;
/**
 * CPU goals, set from the --cpu-prof profiles of this section (see bench/RESULTS.md): the sweep's
 * CPU per not-due secret at most this multiple of the bare-SDK batched read of the same fleet, and
 * per due secret at most this multiple of its Secrets Manager calls at the bare SDK's CPU per call
 * (the old-design baseline's CPU per GetSecretValue).
 */
export const MAX_NOT_DUE_CPU_RATIO = 2;
export const MAX_DUE_CPU_RATIO = 2;
/** Due secrets of the run at AWS's default budget and quotas. */
export const DEFAULT_BUDGET_SECRETS = 200;
/**
 * The due sweeps' budgets (and the local write/RotateSecret quotas, and the concurrency) as a
 * multiple of the defaults, so 10,000 due refreshes take minutes, not a quarter of an hour. 3x
 * (120 writes/s) stays under what the local endpoint serves at 10,000 secrets on the 2-core bench
 * machine (a bare-SDK client got 183 writes/s there, the write-ceiling run; the endpoint's ARN
 * lookup is linear in the fleet) and keeps the sweep process well under one core (a due refresh
 * costs it ~6-9 ms of CPU): the ratio then measures the sweep's pacing, not the machine.
 */
export const DEFAULT_BUDGET_SCALE = 3;
const DAY = 86_400;
const LIFETIME_SECONDS = 30 * DAY;
/** From a fresh token to half a day past its refresh point (3 days before expiry, plus at most an hour of jitter). */
const TO_DUE_SECONDS = LIFETIME_SECONDS - DEFAULT_SETTINGS.refreshBeforeSeconds + DAY / 2;
/** infra/construct.ts: the scheduled-refresh function's timeout. */
const LAMBDA_TIMEOUT_MS = 5 * 60_000;
/**
 * Every child of this section starts as the scheduled-refresh function is deployed, with the heap
 * the Lambda runtime gives its memory (the baselines too, so their memory compares like with like).
 */
const CHILD_MEMORY_MB = deployedMemoryMB('scheduled-refresh');
const SETUP_CONCURRENCY = 16;
/** Lambda allots one vCPU per 1,769 MB of memory (AWS Lambda docs, "Configuring function memory"). */
const LAMBDA_MB_PER_VCPU = 1769;
/** Length of the write-ceiling probe. */
const WRITE_PROBE_SECONDS = 15;
const WRITE_OPERATIONS = ['PutSecretValue', 'UpdateSecret', 'UpdateSecretVersionStage'];

export type RunId = 'not-due' | 'old-design' | 'batched-read' | 'due' | 'due-aws-defaults' | 'write-ceiling' | 'bare-paced' | 'not-due-profile' | 'due-profile' | 'due-memory' | 'outage';

export interface SweepRun {
  id: RunId;
  /** Secrets the run read (the fleet, or the ids it was given). */
  secrets: number;
  fleetSize: number;
  /** Write and rotation budgets of the sweep (per second); none for the baselines. */
  budget?: { writesPerSecond: number; rotationsPerSecond: number };
  /** Secrets acted on at once (the settings' concurrency). */
  concurrency: number;
  /** How long acting on one secret took (settle/refresh, budget waits included): median and p90, ms. */
  actMs?: { median: number; p90: number };
  /** Local quotas: AWS's values, or the write and RotateSecret quotas raised by a factor. */
  quotas: string;
  /** The handler call in the child (settings, reads, and for a sweep its actions). */
  wallMs: number;
  importMs: number;
  checked: number;
  refreshed: number;
  rotated: number;
  revoked: number;
  skipped: number;
  failed: number;
  /** Failures whose error was throttling (ThrottlingException / Rate exceeded). */
  throttleFailures: number;
  /** The MinSecondsToExpiry the function published: the least time left of any token after the sweep. */
  minSecondsToExpiry?: number;
  /** The write probes (write-ceiling, bare-paced): refresh cycles completed (each its Secrets Manager calls and a bare provider call), and provider calls that failed. */
  probeCycles?: number;
  probeProviderErrors?: number;
  /** The probe's CPU per cycle over the last two thirds of its run (compiled, connected): its steady cost, ms. */
  probeSteadyMsPerCycle?: number;
  firstError?: string;
  /** ThrottlingException answers the budgets saw (the function's Throttles metric). */
  budgetThrottles?: number;
  /** Secrets Manager calls answered, by operation; and the throttled answers among them. */
  smCalls: Record<string, number>;
  smThrottled: Record<string, number>;
  smCallsTotal: number;
  smCallsPerSecret: number;
  ssmCalls: number;
  tigergraphCalls: number;
  /** Writes (PutSecretValue, UpdateSecret, UpdateSecretVersionStage) that succeeded, their first-to-last window, the rate, and the rate / the write budget. */
  writes?: { count: number; windowMs: number; perSecond: number; ratioToBudget?: number };
  /** Event-loop delay of this process (the endpoint and the fake) during the run, ms: how long a request waited to be served. */
  endpointLoopDelayMs: { mean: number; p99: number };
  /** BatchGetSecretValue calls per second over their first-to-last window. */
  batchGetPerSecond?: number;
  /** CPU of the child during the handler call, ms; per secret read; / wall. */
  cpuMs: number;
  cpuMsPerSecret: number;
  cpuShare: number;
  /** CPU this process (the endpoint and the fake TigerGraph) used meanwhile / the child's wall. */
  endpointCpuShare: number;
  /** The function's memory setting the child ran as (the Lambda runtime's heap flags for it). */
  memoryMB: number;
  maxRssMB: number;
  /** The sampled moment of highest RSS: the V8 heap committed, its young generation, the heap in use, and the RSS outside the heap. */
  atPeak: SweepChildReport['atPeak'];
  /** Where the RSS goes: the process after import, the V8 heap committed at the end (its young generation), and the heap still in use after a full GC. */
  rssAfterImportMB: number;
  heapTotalMB: number;
  newSpaceMB: number;
  heapAfterGcMB: number;
  /** What the function logged (JSON lines, EMF), bytes per secret read. */
  logBytesPerSecret: number;
}

export interface SizeResult {
  secrets: number;
  /** Secrets Manager calls per not-due secret: measured, fleet-plan's minimum, the old design measured. */
  notDueCalls: { measured: number; minimum: number; oldDesign: number; ratioToOld: number };
  /** Per due secret: measured (whole due run / secrets), fleet-plan's minimum, and the excess by operation. */
  dueCalls?: { measured: number; minimum: number; byOperation: Record<string, number>; writesPerRefresh: number };
  /** Sweep CPU ms per not-due secret, and / the bare-SDK batched read, and / the old design's reads. */
  notDueCpu: { msPerSecret: number; batchedReadMsPerSecret: number; oldDesignMsPerSecret: number; ratioToBatchedRead: number; ratioToOldDesign: number };
  /**
   * Sweep CPU ms per due secret (the due run / secrets); / (its SM calls x the SDK's CPU per call);
   * and / the same calls made bare at the same pace: the bare-paced probe's steady CPU per refresh
   * cycle (DescribeSecret, the provider call, PutSecretValue, UpdateSecretVersionStage) plus the
   * batched read's CPU per secret.
   */
  dueCpu?: { msPerSecret: number; sdkMsPerCall: number; ratioToSdkCalls: number; bareMsPerSecret: number; ratioToBareCalls: number };
  /** Writes per second: the due run, its budget, and what the endpoint served a bare-SDK client at that fleet size (write-ceiling probe). */
  writeRate?: { achieved: number; budget: number; ceiling: number; ratioToBudget: number; ratioToCeiling: number };
}

export interface SweepData {
  latencyMs: number;
  budgetScale: number;
  conditions: string;
  setup: Array<{ secrets: number; created: number; setupMs: number; secretsPerSecond: number }>;
  runs: SweepRun[];
  sizes: SizeResult[];
  /** Under --cpu-prof (the largest size up to 1,000): where the child's CPU goes. */
  profiles: Partial<Record<'not-due' | 'due', { secrets: number; wallMs: number; cpu: CpuBreakdown }>>;
  /** fleet-plan.ts's expectation for the due run next to what it measured. */
  planCheck?: { secrets: number; plannedWrites: number; measuredWrites: number; plannedSeconds: number; measuredSeconds: number };
  /** The outage run (issue 22): every secret failed, nothing refreshed or revoked, the sampled current tokens still live. */
  outage?: { secrets: number; failed: number; refreshed: number; revoked: number; sampled: number; currentLive: number; wallMs: number };
  /** The recovery drain (the due run at the goal size, the whole fleet due at once): its wall time against the plan, and the least time left of any token after it. */
  drain?: { secrets: number; wallSeconds: number; plannedSeconds: number; ratioToPlan: number; minSecondsToExpiry: number; throttleFailures: number };
  plan: PlanData;
}

interface Fleet {
  credentialArn: string;
  /** Tagged (the sweep's fleet). */
  arns: string[];
  /** Not tagged: only the run at AWS defaults names them. */
  extra: string[];
}

/**
 * Creates token secrets `from`..`to - 1` in the refreshed-and-settled state: version 1 with a
 * fresh 30-day token, version 2 with the same value as AWSCURRENT + TGSETTLED (the service moves
 * AWSPREVIOUS onto version 1). Quotas must be off.
 */
export async function createSecrets(stack: LocalStack, credentialArn: string, from: number, to: number, options: { tagged?: boolean; prefix?: string } = {}): Promise<string[]> {
  const port = Number(new URL(stack.tg3.url).port);
  const base = {
    host: 'http://127.0.0.1',
    tigergraphVersion: 'auto',
    restppPort: port,
    gsqlPort: port,
    credentialSecretId: credentialArn,
    allowInsecureHttp: true,
    lifetimeSeconds: LIFETIME_SECONDS,
  };
  const minter = createTigerGraphProvider({ ...base, tigergraphVersion: '3' }, { secret: stack.tigergraphSecret }, { clock: stack.clock });
  const limit = pLimit(SETUP_CONCURRENCY);
  const prefix = options.prefix ?? 'bench/sweep/token-';
  return Promise.all(
    Array.from({ length: to - from }, (_, k) =>
      limit(async () => {
        const issued = await minter.issue({ lifetimeSeconds: LIFETIME_SECONDS, purpose: { secretName: 'bench/sweep', versionId: 'setup' } });
        const value = withIssuedToken(JSON.stringify(base), issued, { extra: { providerVersion: '3' } });
        const created = await stack.secretsManager.send(
          new CreateSecretCommand({
            Name: `${prefix}${String(from + k).padStart(5, '0')}`,
            SecretString: value,
            Tags: options.tagged === false ? [] : [{ Key: MANAGED_TAG, Value: 'true' }],
          }),
        );
        await stack.secretsManager.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: value, VersionStages: ['AWSCURRENT', SETTLED] }));
        return created.ARN as string;
      }),
    ),
  );
}

interface ChildRunSpec {
  id: RunId;
  bundle: string;
  functionName: string;
  event: unknown;
  secrets: number;
  fleetSize: number;
  quotas: { label: string; options: QuotaOptions | boolean };
  budget?: { writesPerSecond: number; rotationsPerSecond: number };
  /** The settings' concurrency (secrets acted on at once); default the default setting. */
  concurrency?: number;
  /** The function's memory setting (default as deployed): the Lambda runtime's heap flags follow it. */
  memoryMB?: number;
  nodeArgs?: string[];
  /** Faults of the fake TigerGraph during the run (the outage), on top of its latency. */
  tgFaults?: Parameters<LocalStack['tg3']['setFaults']>[0];
  /** Environment of the child on top of the Lambda one. */
  env?: Record<string, string>;
}

interface ChildOutcome {
  run: SweepRun;
  report: SweepChildReport;
}

/**
 * Lines of the function's stdout (the log never holds a token): EMF metrics, failures by error
 * name, and how long each secret the sweep acted on took (its report's durationMs).
 */
function readFunctionLog(text: string): { metrics: Record<string, number>; failuresByName: Record<string, number>; actMs: number[] } {
  const metrics: Record<string, number> = {};
  const failuresByName: Record<string, number> = {};
  const actMs: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (entry._aws) {
      for (const [k, v] of Object.entries(entry)) if (typeof v === 'number') metrics[k] = (metrics[k] ?? 0) + v;
    } else if (entry.message === 'secret failed') {
      const name = typeof entry.errorName === 'string' ? entry.errorName : 'Unknown';
      failuresByName[name] = (failuresByName[name] ?? 0) + 1;
    }
    if ((entry.message === 'secret done' || entry.message === 'secret failed') && typeof entry.durationMs === 'number') actMs.push(entry.durationMs);
  }
  return { metrics, failuresByName, actMs };
}

async function runInChild(stack: LocalStack, script: string, workDir: string, spec: ChildRunSpec): Promise<ChildOutcome> {
  const eventFile = path.join(workDir, `sweep-event-${spec.id}.json`);
  const logFile = path.join(workDir, `sweep-stdout-${spec.id}.log`);
  await writeFile(eventFile, JSON.stringify(spec.event));
  const concurrency = spec.concurrency ?? DEFAULT_SETTINGS.concurrency;
  await stack.putSettings({ ...DEFAULT_SETTINGS, concurrency });
  stack.aws.setQuotas(spec.quotas.options);
  stack.aws.resetRequestLog();
  stack.tg3.resetStats();
  stack.tg3.setFaults({ latencyMs: LATENCY_MS, ...spec.tgFaults });
  const cpu0 = process.cpuUsage();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const memoryMB = spec.memoryMB ?? CHILD_MEMORY_MB;
  try {
    const res = await runChild<SweepChildReport>(script, {
      stdoutFile: logFile,
      env: { ...lambdaEnv({ functionName: spec.functionName, endpoint: stack.aws.url, memoryMB }), BENCH_CLOCK_OFFSET_MS: String(stack.clock.now() - Date.now()), ...spec.env },
      nodeArgs: [...lambdaRuntimeNodeArgs(memoryMB), ...(spec.nodeArgs ?? [])],
      args: [spec.bundle, `@${eventFile}`, String(LAMBDA_TIMEOUT_MS), spec.functionName],
      timeoutMs: LAMBDA_TIMEOUT_MS + 60_000,
    });
    const cpu = process.cpuUsage(cpu0);
    loop.disable();
    const report = res.result;
    if (!report.ok) throw new Error(`sweep child (${spec.id}) failed: ${report.error?.name}: ${report.error?.message}`);
    const counters = stack.aws.operationCounters();
    const smCalls: Record<string, number> = {};
    const smThrottled: Record<string, number> = {};
    let ssmCalls = 0;
    for (const e of stack.aws.requestLog) if (e.service === 'ssm') ssmCalls++;
    for (const [op, c] of Object.entries(counters)) {
      if (['GetParameter', 'GetParameters', 'GetParametersByPath', 'PutParameter', 'DeleteParameter'].includes(op)) continue;
      smCalls[op] = c.calls;
      if (c.throttled) smThrottled[op] = c.throttled;
    }
    const smCallsTotal = Object.values(smCalls).reduce((a, b) => a + b, 0);
    const writeCounts = WRITE_OPERATIONS.map((op) => counters[op]).filter((c): c is NonNullable<typeof c> => c !== undefined);
    let writes: SweepRun['writes'];
    if (writeCounts.length) {
      const count = writeCounts.reduce((a, c) => a + c.succeeded, 0);
      const windowMs = Math.max(...writeCounts.map((c) => c.lastAtMs)) - Math.min(...writeCounts.map((c) => c.firstAtMs));
      const perSecond = windowMs > 0 ? ((count - 1) / windowMs) * 1000 : Number.NaN;
      writes = { count, windowMs, perSecond: round(perSecond, 1), ...(spec.budget ? { ratioToBudget: ratio(perSecond, spec.budget.writesPerSecond) } : {}) };
    }
    const batch = counters.BatchGetSecretValue;
    const batchWindow = batch ? batch.lastAtMs - batch.firstAtMs : 0;
    const log = readFunctionLog(await readFile(logFile, 'utf8').catch(() => ''));
    const throttleFailures = (log.failuresByName.ThrottlingException ?? 0) + (log.failuresByName.TooManyRequestsException ?? 0);
    const s = report.summary;
    const run: SweepRun = {
      id: spec.id,
      secrets: spec.secrets,
      fleetSize: spec.fleetSize,
      ...(spec.budget ? { budget: spec.budget } : {}),
      concurrency,
      ...(log.actMs.length ? { actMs: { median: round(median(log.actMs), 0), p90: round(percentile(log.actMs, 90), 0) } } : {}),
      quotas: spec.quotas.label,
      wallMs: round(report.handleMs, 0),
      importMs: round(report.importMs, 0),
      checked: s.checked ?? 0,
      refreshed: s.refreshed ?? 0,
      rotated: s.rotated ?? 0,
      revoked: s.revoked ?? 0,
      skipped: s.skipped ?? 0,
      failed: s.failed ?? 0,
      ...(s.refreshes !== undefined ? { probeCycles: s.refreshes, probeProviderErrors: s.providerErrors ?? 0 } : {}),
      ...(s.steadyCycles ? { probeSteadyMsPerCycle: round((s.steadyCpuMs ?? Number.NaN) / s.steadyCycles, 3) } : {}),
      throttleFailures,
      ...(report.firstError ? { firstError: report.firstError } : {}),
      ...(log.metrics.Throttles !== undefined ? { budgetThrottles: log.metrics.Throttles } : {}),
      ...(log.metrics.MinSecondsToExpiry !== undefined ? { minSecondsToExpiry: log.metrics.MinSecondsToExpiry } : {}),
      smCalls,
      smThrottled,
      smCallsTotal,
      smCallsPerSecret: ratio(smCallsTotal, spec.secrets, 3),
      ssmCalls,
      tigergraphCalls: stack.tg3.stats().total,
      ...(writes ? { writes } : {}),
      ...(batch && batchWindow > 0 ? { batchGetPerSecond: round(((batch.calls - 1) / batchWindow) * 1000, 0) } : {}),
      endpointLoopDelayMs: { mean: round(loop.mean / 1e6, 1), p99: round(loop.percentile(99) / 1e6, 1) },
      cpuMs: round(report.handleCpuMs, 0),
      cpuMsPerSecret: ratio(report.handleCpuMs, spec.secrets, 3),
      cpuShare: ratio(report.handleCpuMs, report.handleMs),
      endpointCpuShare: ratio((cpu.user + cpu.system) / 1000, report.handleMs + report.importMs),
      memoryMB,
      maxRssMB: round(report.maxRssKB / 1024, 1),
      atPeak: report.atPeak,
      rssAfterImportMB: report.rssAfterImportMB,
      heapTotalMB: report.heapTotalMB,
      newSpaceMB: report.newSpaceMB,
      heapAfterGcMB: report.heapAfterGcMB ?? Number.NaN,
      logBytesPerSecret: Math.round(res.stdoutBytes / spec.secrets),
    };
    return { run, report };
  } finally {
    loop.disable();
    stack.tg3.setFaults({});
    stack.aws.setQuotas(false);
    await Promise.all([rm(eventFile, { force: true }), rm(logFile, { force: true })]);
  }
}

const SCHEDULED_EVENT = { 'detail-type': 'Scheduled Event', source: 'aws.scheduler' };

export async function runSweep(ctx: {
  workDir: string;
  smoke: boolean;
  sizes?: number[];
  budgetScale?: number;
  /** Memory settings to run the largest due sweep at once more each (bench --memory-sizes). */
  memorySizes?: number[];
  log: (m: string) => void;
}): Promise<SectionResult<SweepData>> {
  const sizes = [...(ctx.sizes ?? (ctx.smoke ? [20] : [1_000, 10_000]))].sort((a, b) => a - b);
  const scale = ctx.budgetScale ?? DEFAULT_BUDGET_SCALE;
  const defaultBudgetSecrets = ctx.smoke ? 10 : DEFAULT_BUDGET_SECRETS;
  const scaledBudget = { writesPerSecond: DEFAULT_SETTINGS.writesPerSecond * scale, rotationsPerSecond: DEFAULT_SETTINGS.rotationsPerSecond * scale };
  // In flight per unit of budget as deployed (concurrency 10 for 40 writes/s), within the setting's bounds.
  const scaledConcurrency = Math.min(CONCURRENCY_BOUNDS.max, DEFAULT_SETTINGS.concurrency * scale);
  const awsQuotas = { label: "AWS's", options: true as const };
  const scaledQuotas = {
    label: scale === 1 ? "AWS's" : `AWS's, writes and RotateSecret x${scale}`,
    options: scale === 1 ? (true as const) : { perSecond: { writes: 50 * scale, rotate: 50 * scale } },
  };
  const bundles: Bundles = await buildAllBundles(ctx.workDir);
  const scripts = await buildChildScripts(ctx.workDir);
  const sweepBundle = bundles['scheduled-refresh'].file;
  const fleetBundle = bundles['baseline-fleet'].file;
  // The endpoints only: the sweep itself runs in the child.
  const stack = await startLocalStack({ setProcessEnv: false });
  try {
    await stack.putSettings(DEFAULT_SETTINGS);
    const credential = await stack.secretsManager.send(
      new CreateSecretCommand({ Name: 'bench/sweep/credentials', SecretString: JSON.stringify({ secret: stack.tigergraphSecret }) }),
    );
    const fleet: Fleet = { credentialArn: credential.ARN as string, arns: [], extra: [] };
    const setup: SweepData['setup'] = [];
    const runs: SweepRun[] = [];
    const sizeResults: SizeResult[] = [];
    const profiles: SweepData['profiles'] = {};
    let planCheck: SweepData['planCheck'];
    let outageCheck: SweepData['outage'];
    let drain: SweepData['drain'];
    const profileSize = [...sizes].reverse().find((n) => n <= 1_000) ?? (sizes[0] as number);
    const run = async (spec: ChildRunSpec) => {
      ctx.log(`sweep: ${spec.id}, ${spec.secrets} secrets${spec.budget ? `, budget ${spec.budget.writesPerSecond} writes/s` : ''}, quotas ${spec.quotas.label}`);
      const outcome = await runInChild(stack, scripts.sweep, ctx.workDir, spec);
      runs.push(outcome.run);
      return outcome.run;
    };
    const profiled = async (spec: ChildRunSpec, key: 'not-due' | 'due') => {
      const dir = await mkdtemp(path.join(ctx.workDir, 'sweep-prof-'));
      try {
        const r = await run({ ...spec, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
        profiles[key] = { secrets: spec.secrets, wallMs: r.wallMs, cpu: await summarizeCpuProfile(await findProfile(dir), sweepBundle) };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    };
    const notDueSpec = (n: number, id: RunId = 'not-due'): ChildRunSpec => ({
      id,
      bundle: sweepBundle,
      functionName: 'scheduled-refresh',
      event: SCHEDULED_EVENT,
      secrets: n,
      fleetSize: n,
      quotas: awsQuotas,
      budget: { writesPerSecond: DEFAULT_SETTINGS.writesPerSecond, rotationsPerSecond: DEFAULT_SETTINGS.rotationsPerSecond },
    });
    const dueSpec = (n: number, id: RunId = 'due'): ChildRunSpec => ({
      id,
      bundle: sweepBundle,
      functionName: 'scheduled-refresh',
      event: { Items: fleet.arns.map((secretId) => ({ secretId })), BatchInput: scaledBudget },
      secrets: n,
      fleetSize: n,
      quotas: scaledQuotas,
      budget: scaledBudget,
      concurrency: scaledConcurrency,
    });

    /**
     * The bare-SDK write probe on the untagged secrets: each cycle a refresh's calls, the provider
     * call made bare too, so its CPU per cycle is a refresh's calls at their bare cost; unpaced
     * (quotas off: what the endpoint serves) or started at `cyclesPerSecond` (the due run's quotas).
     */
    const probeSpec = (fleetSize: number, id: 'write-ceiling' | 'bare-paced', cyclesPerSecond?: number): ChildRunSpec => ({
      id,
      bundle: fleetBundle,
      functionName: 'baseline-fleet',
      event: {
        mode: 'write-probe',
        ids: fleet.extra,
        seconds: ctx.smoke ? 1 : WRITE_PROBE_SECONDS,
        concurrency: scaledConcurrency,
        provider: { url: stack.tg3.url, secret: stack.tigergraphSecret },
        ...(cyclesPerSecond ? { cyclesPerSecond } : {}),
      },
      secrets: fleet.extra.length,
      fleetSize,
      quotas: cyclesPerSecond ? scaledQuotas : { label: 'off', options: false },
      concurrency: scaledConcurrency,
    });

    for (const [i, size] of sizes.entries()) {
      const t0 = performance.now();
      const from = fleet.arns.length;
      ctx.log(`sweep: creating secrets ${from}..${size - 1}${i === 0 ? ` and ${defaultBudgetSecrets} untagged ones` : ''}`);
      fleet.arns.push(...(await createSecrets(stack, fleet.credentialArn, from, size)));
      if (i === 0) fleet.extra = await createSecrets(stack, fleet.credentialArn, 0, defaultBudgetSecrets, { tagged: false, prefix: 'bench/sweep/untagged-' });
      const setupMs = performance.now() - t0;
      setup.push({ secrets: size, created: size - from, setupMs: round(setupMs, 0), secretsPerSecond: round(((size - from) / setupMs) * 1000, 0) });

      const notDue = await run(notDueSpec(size));
      const oldDesign = await run({ id: 'old-design', bundle: fleetBundle, functionName: 'baseline-fleet', event: { mode: 'per-secret', concurrency: DEFAULT_SETTINGS.concurrency }, secrets: size, fleetSize: size, quotas: awsQuotas });
      const batched = await run({ id: 'batched-read', bundle: fleetBundle, functionName: 'baseline-fleet', event: { mode: 'batched' }, secrets: size, fleetSize: size, quotas: awsQuotas });
      if (size === profileSize) await profiled(notDueSpec(size, 'not-due-profile'), 'not-due');

      stack.clock.advance(TO_DUE_SECONDS);
      if (i === 0) {
        // Issue 22: the token API down from the first due point. Every refresh is answered 503 (one
        // attempt each, so the run stays short); the sweep must report every secret failed and leave
        // each AWSCURRENT token as it was, live.
        // On the untagged secrets (their recovery is the run at AWS's defaults below), so the due
        // runs of the tagged fleet measure a drain without failure records to clear.
        const outage = await run({
          id: 'outage',
          bundle: sweepBundle,
          functionName: 'scheduled-refresh',
          event: { ...SCHEDULED_EVENT, secretIds: fleet.extra },
          secrets: fleet.extra.length,
          fleetSize: fleet.extra.length,
          quotas: awsQuotas,
          budget: { writesPerSecond: DEFAULT_SETTINGS.writesPerSecond, rotationsPerSecond: DEFAULT_SETTINGS.rotationsPerSecond },
          tgFaults: { errorRate: 1, errorStatus: 503, ops: ['refresh', 'request'] },
          env: { TG_HTTP_MAX_ATTEMPTS: '1' },
        });
        const sample = fleet.extra.slice(0, OUTAGE_SAMPLE);
        const live = sample.filter((arn) => {
          const current = stack.aws.inspectSecret(arn)?.versions.find((v) => v.stages.includes('AWSCURRENT'));
          const token = JSON.parse(current?.secretString ?? '{}').token as string | undefined;
          return token !== undefined && stack.tg3.isLive(token);
        }).length;
        outageCheck = { secrets: outage.secrets, failed: outage.failed, refreshed: outage.refreshed, revoked: outage.revoked, sampled: sample.length, currentLive: live, wallMs: outage.wallMs };
        // The outage lasts a day; the run at AWS's defaults below is its recovery.
        stack.clock.advance(DAY);
      }
      const due = await run(dueSpec(size));
      if (i === 0) {
        await run({
          id: 'due-aws-defaults',
          bundle: sweepBundle,
          functionName: 'scheduled-refresh',
          event: { ...SCHEDULED_EVENT, secretIds: fleet.extra },
          secrets: fleet.extra.length,
          fleetSize: fleet.extra.length,
          quotas: awsQuotas,
          budget: { writesPerSecond: DEFAULT_SETTINGS.writesPerSecond, rotationsPerSecond: DEFAULT_SETTINGS.rotationsPerSecond },
        });
      }
      // What the endpoint serves as it is now (this fleet size, this machine's load), unpaced.
      const ceiling = await run(probeSpec(size, 'write-ceiling'));
      // A refresh's calls made bare at the due run's pace (its write budget, 2 writes a cycle): the floor of a due secret's CPU.
      const barePaced = await run(probeSpec(size, 'bare-paced', scaledBudget.writesPerSecond / 2));
      if (size === profileSize) {
        stack.clock.advance(TO_DUE_SECONDS);
        await profiled(dueSpec(size, 'due-profile'), 'due');
      }
      // The same due sweep as the function would run it at other memory settings (its heap follows).
      if (size === sizes.at(-1)) {
        for (const memoryMB of ctx.memorySizes ?? []) {
          stack.clock.advance(TO_DUE_SECONDS);
          await run({ ...dueSpec(size, 'due-memory'), memoryMB });
        }
      }

      // Minimums from fleet-plan.ts's per-secret costs.
      const planFor = (input: Partial<FleetPlanInput>) => {
        const p = planSweep({ secrets: size, refreshFraction: 0, rotateFraction: 0, settleFraction: 0, ...scaledBudget, ...input });
        return Object.values(p.calls).reduce((a, b) => a + b, 0) / size;
      };
      const sdkMsPerCall = oldDesign.cpuMs / Math.max(1, oldDesign.smCallsTotal);
      // A due secret's calls made bare at the due run's pace: one paced probe cycle at its steady cost (the
      // probe runs 15 s, too short to amortize its start as a 10,000-secret sweep does), plus its share of the batched read.
      const bareMsPerDueSecret = (barePaced.probeSteadyMsPerCycle ?? Number.NaN) + batched.cpuMsPerSecret;
      const refreshedWrites = WRITE_OPERATIONS.reduce((a, op) => a + (due.smCalls[op] ?? 0), 0);
      sizeResults.push({
        secrets: size,
        notDueCalls: {
          measured: notDue.smCallsPerSecret,
          minimum: round(planFor({ tagDiscovery: true }), 3),
          oldDesign: oldDesign.smCallsPerSecret,
          ratioToOld: ratio(notDue.smCallsPerSecret, oldDesign.smCallsPerSecret, 3),
        },
        dueCalls: {
          measured: due.smCallsPerSecret,
          // fleet-plan's per-secret calls, plus the shared credential secret read once per sweep (cached).
          minimum: round(planFor({ refreshFraction: 1 }) + 1 / size, 3),
          byOperation: Object.fromEntries(Object.entries(due.smCalls).map(([op, n]) => [op, round(n / size, 3)])),
          writesPerRefresh: ratio(refreshedWrites, Math.max(1, due.refreshed), 2),
        },
        notDueCpu: {
          msPerSecret: notDue.cpuMsPerSecret,
          batchedReadMsPerSecret: batched.cpuMsPerSecret,
          oldDesignMsPerSecret: oldDesign.cpuMsPerSecret,
          ratioToBatchedRead: ratio(notDue.cpuMsPerSecret, batched.cpuMsPerSecret),
          ratioToOldDesign: ratio(notDue.cpuMsPerSecret, oldDesign.cpuMsPerSecret),
        },
        dueCpu: {
          msPerSecret: due.cpuMsPerSecret,
          sdkMsPerCall: round(sdkMsPerCall, 3),
          ratioToSdkCalls: ratio(due.cpuMsPerSecret, due.smCallsPerSecret * sdkMsPerCall),
          bareMsPerSecret: round(bareMsPerDueSecret, 3),
          ratioToBareCalls: ratio(due.cpuMsPerSecret, bareMsPerDueSecret),
        },
        writeRate: {
          achieved: due.writes?.perSecond ?? Number.NaN,
          budget: scaledBudget.writesPerSecond,
          ceiling: ceiling.writes?.perSecond ?? Number.NaN,
          ratioToBudget: due.writes?.ratioToBudget ?? Number.NaN,
          ratioToCeiling: ratio(due.writes?.perSecond ?? Number.NaN, Math.min(scaledBudget.writesPerSecond, ceiling.writes?.perSecond ?? Number.NaN)),
        },
      });
      if (size === sizes.at(-1)) {
        const plan = planSweep({ secrets: size, refreshFraction: 1, rotateFraction: 0, settleFraction: 0, ...scaledBudget });
        planCheck = {
          secrets: size,
          plannedWrites: plan.calls.writes,
          measuredWrites: refreshedWrites,
          plannedSeconds: round(plan.expectedSeconds, 1),
          measuredSeconds: round((due.writes?.windowMs ?? Number.NaN) / 1000, 1),
        };
        // The recovery drain: the whole handler call (reads, refreshes, the outcome look) against the plan.
        drain = {
          secrets: size,
          wallSeconds: round(due.wallMs / 1000, 1),
          plannedSeconds: round(plan.expectedSeconds, 1),
          ratioToPlan: ratio(due.wallMs / 1000, plan.expectedSeconds),
          minSecondsToExpiry: due.minSecondsToExpiry ?? Number.NaN,
          throttleFailures: due.throttleFailures,
        };
      }
    }

    // ---- goals ------------------------------------------------------------------------------
    const goals: Goal[] = [];
    const findings: string[] = [];
    const goalSize = sizes.includes(GOAL_SIZE) ? GOAL_SIZE : (sizes.at(-1) as number);
    for (const s of sizeResults) {
      goals.push(goal('sweep', `${s.secrets} not-due secrets: SM calls per secret (old design ${s.notDueCalls.oldDesign})`, s.notDueCalls.measured, '<=', MAX_CALLS_PER_NOT_DUE, 'calls'));
      if (s.dueCalls) goals.push(goal('sweep', `${s.secrets} due secrets: SM calls per secret (fleet-plan minimum)`, s.dueCalls.measured, '<=', s.dueCalls.minimum, 'calls'));
      goals.push(goal('sweep', `${s.secrets} not-due secrets: CPU per secret / bare-SDK batched read`, s.notDueCpu.ratioToBatchedRead, '<=', MAX_NOT_DUE_CPU_RATIO, 'x'));
      if (s.dueCpu) goals.push(goal('sweep', `${s.secrets} due secrets: CPU per secret / the same calls made bare (SM calls and the provider call)`, s.dueCpu.ratioToBareCalls, '<=', MAX_DUE_CPU_RATIO, 'x'));
    }
    const dueRuns = runs.filter((r) => r.id === 'due' || r.id === 'due-aws-defaults');
    for (const r of dueRuns) {
      const at = r.id === 'due' ? `${r.secrets} due secrets, budget ${r.budget?.writesPerSecond}/s` : `${r.secrets} due secrets at AWS defaults (budget ${r.budget?.writesPerSecond}/s)`;
      if (r.id === 'due-aws-defaults' || r.secrets === goalSize) {
        goals.push(goal('sweep', `${at}: achieved write rate / budget`, r.writes?.ratioToBudget ?? Number.NaN, '>=', MIN_WRITE_RATE_RATIO, 'ratio'));
        goals.push(goal('sweep', `${at}: failures from throttling`, r.throttleFailures, '<=', 0, 'failures'));
      }
    }
    // Issue 22: what the sweep keeps (in use after a full GC) at every size, and flat in the fleet size.
    const retained = runs.filter((r) => r.id === 'due' && Number.isFinite(r.heapAfterGcMB));
    for (const r of retained) goals.push(goal('sweep', `${r.secrets} due secrets: memory retained after a full GC (MB)`, r.heapAfterGcMB, '<=', MAX_RETAINED_MB, 'MB'));
    if (retained.length > 1) {
      const [small, large] = [retained[0]!, retained.at(-1)!];
      goals.push(goal('sweep', `retained after GC, ${large.secrets} / ${small.secrets} due secrets (flat in fleet size)`, ratio(large.heapAfterGcMB, small.heapAfterGcMB), '<=', MAX_RETAINED_GROWTH, 'x'));
    }
    // Issue 22: the outage is reported failed secret by secret, and takes nothing away.
    if (outageCheck) {
      goals.push(goal('sweep', `outage of the token API, ${outageCheck.secrets} due secrets: secrets reported failed`, outageCheck.failed, '>=', outageCheck.secrets, 'secrets'));
      goals.push(goal('sweep', `outage of the token API: tokens refreshed or revoked`, outageCheck.refreshed + outageCheck.revoked, '<=', 0, 'tokens'));
      goals.push(goal('sweep', `outage of the token API: sampled AWSCURRENT tokens still live`, outageCheck.currentLive, '>=', outageCheck.sampled, 'tokens'));
    }
    // Issue 22: the recovery drain, the whole fleet due at once, within the plan and before any token expires.
    if (drain) {
      goals.push(goal('sweep', `recovery drain, ${drain.secrets} secrets due at once: failures from throttling`, drain.throttleFailures, '<=', 0, 'failures'));
      goals.push(goal('sweep', `recovery drain: least time left of any token after it (s)`, drain.minSecondsToExpiry, '>=', 1, 's'));
      goals.push(goal('sweep', `recovery drain: wall time / fleet-plan's ${drain.plannedSeconds} s`, drain.ratioToPlan, '<=', MAX_DRAIN_TO_PLAN, 'x'));
    }
    const plan = runPlan(sizeResults.at(-1)?.dueCalls?.writesPerRefresh ?? 2);
    goals.push(...plan.goals);
    findings.push(...plan.findings);
    // Reads are paced by a budget (core/secrets/budget.ts): one sweep alone gets DEFAULT_READ_SHARE of the quota.
    const readBudget = SECRETS_MANAGER_BATCH_GET_QUOTA * DEFAULT_READ_SHARE;
    // Issue 22: the read budget is never exceeded (paced strictly since: 85/s against 80/s before).
    for (const r of runs.filter((x) => x.id === 'not-due' && x.batchGetPerSecond !== undefined)) {
      goals.push(goal('sweep', `${r.secrets} not-due secrets: BatchGetSecretValue/s (read budget ${readBudget}/s)`, r.batchGetPerSecond as number, '<=', readBudget, '/s'));
    }
    for (const r of runs.filter((x) => x.id === 'not-due' && x.batchGetPerSecond !== undefined && x.batchGetPerSecond > readBudget * 1.05)) {
      findings.push(`${r.id} at ${r.secrets}: BatchGetSecretValue at ${r.batchGetPerSecond}/s, over the read budget of ${readBudget}/s (${DEFAULT_READ_SHARE * 100} % of the ${SECRETS_MANAGER_BATCH_GET_QUOTA}/s quota).`);
    }

    // ---- findings ---------------------------------------------------------------------------
    for (const r of runs) {
      const expectRefresh = r.id === 'due' || r.id === 'due-aws-defaults' || r.id === 'due-profile' || r.id === 'due-memory';
      if (r.failed || r.skipped || (expectRefresh && r.refreshed !== r.secrets) || (!expectRefresh && r.refreshed + r.rotated + r.revoked > 0) || r.checked !== r.secrets) {
        findings.push(
          `${r.id} at ${r.secrets}: checked ${r.checked}, refreshed ${r.refreshed}, rotated ${r.rotated}, revoked ${r.revoked}, skipped ${r.skipped}, failed ${r.failed} (${r.throttleFailures} from throttling)${r.firstError ? `: ${r.firstError}` : ''}`,
        );
      }
      const throttled = Object.entries(r.smThrottled);
      if (throttled.length) {
        findings.push(
          `${r.id} at ${r.secrets}: ThrottlingException answers (retried by the SDK or the budget): ${throttled.map(([op, n]) => `${op} ${n}`).join(', ')}` +
            (r.batchGetPerSecond !== undefined ? `; BatchGetSecretValue ran at ${r.batchGetPerSecond}/s (quota 100/s, not paced by any budget)` : '') +
            (r.budgetThrottles !== undefined ? `; the budgets saw ${r.budgetThrottles}` : '') +
            '.',
        );
      }
    }
    for (const s of sizeResults) {
      if (s.dueCalls && s.dueCalls.measured > s.dueCalls.minimum) {
        const excess = round(s.dueCalls.measured - s.dueCalls.minimum, 3);
        findings.push(
          `${s.secrets} due secrets: ${s.dueCalls.measured} SM calls per secret, ${excess} over the minimum ${s.dueCalls.minimum} (fleet-plan's 1/20 BatchGetSecretValue + 2 DescribeSecret (one for the tags of a batch named by ids) + 2 writes + 1 TagResource (the outcome record), and the credential read once per sweep): ` +
            `${s.dueCalls.writesPerRefresh} writes per refresh; by operation: ${Object.entries(s.dueCalls.byOperation).map(([op, n]) => `${op} ${n}`).join(', ')}.`,
        );
      }
      if (s.notDueCpu.ratioToBatchedRead > MAX_NOT_DUE_CPU_RATIO) {
        findings.push(`${s.secrets} not-due secrets: ${s.notDueCpu.msPerSecret} ms CPU per secret, ${s.notDueCpu.ratioToBatchedRead}x the bare-SDK batched read (${s.notDueCpu.batchedReadMsPerSecret} ms); goal <= ${MAX_NOT_DUE_CPU_RATIO}x.`);
      }
      if (s.dueCpu && s.dueCpu.ratioToBareCalls > MAX_DUE_CPU_RATIO) {
        findings.push(`${s.secrets} due secrets: ${s.dueCpu.msPerSecret} ms CPU per secret, ${s.dueCpu.ratioToBareCalls}x the same calls made bare (${s.dueCpu.bareMsPerSecret} ms: the bare-paced probe's steady cycle and the batched read's share); goal <= ${MAX_DUE_CPU_RATIO}x.`);
      }
    }
    for (const r of dueRuns) {
      if (r.writes?.ratioToBudget !== undefined && r.writes.ratioToBudget < MIN_WRITE_RATE_RATIO) {
        findings.push(
          `${r.id} at ${r.secrets}: writes at ${r.writes.perSecond}/s, ${r.writes.ratioToBudget} of the ${r.budget?.writesPerSecond}/s budget (goal >= ${MIN_WRITE_RATE_RATIO}); the sweep process used ${r.cpuShare} of a core over the run, this process (endpoint, fake) ${r.endpointCpuShare}, whose event loop lagged ${r.endpointLoopDelayMs.mean} ms on average (p99 ${r.endpointLoopDelayMs.p99} ms)` +
            (() => {
              const c = sizeResults.find((x) => x.secrets === r.fleetSize)?.writeRate;
              return c && r.id === 'due' ? `; a bare-SDK client with as many refreshes in flight got ${c.ceiling} writes/s from the endpoint at this fleet size (write-ceiling), so the sweep reached ${c.ratioToCeiling} of min(budget, ceiling)` : '';
            })() +
            (r.actMs ? `; acting on one secret took ${r.actMs.median} ms (median; p90 ${r.actMs.p90}; budget waits included) with ${r.concurrency} at once.` : '.'),
        );
      }
      if (r.id === 'due' && r.secrets === goalSize && r.maxRssMB >= MAX_RSS_MB) {
        findings.push(
          `due at ${r.secrets}: peak RSS ${r.maxRssMB} MB (goal < ${MAX_RSS_MB} MB): ${r.rssAfterImportMB} MB once the bundle is imported; at the end the V8 heap had ${r.heapTotalMB} MB committed ` +
            `(young generation ${r.newSpaceMB} MB) of which ${r.heapAfterGcMB} MB was still in use after a full GC; at the peak ${r.atPeak.heapTotalMB} MB committed (young ${r.atPeak.newSpaceMB} MB), ${r.atPeak.heapUsedMB} MB in use, ${r.atPeak.nonHeapMB} MB outside the heap. ` +
            `The sweep retains little; the young generation is what the Lambda runtime allows V8 at ${r.memoryMB} MB (${lambdaRuntimeNodeArgs(r.memoryMB).find((f) => f.startsWith('--max-semi'))}).`,
        );
      }
    }

    // ---- tables -----------------------------------------------------------------------------
    const callsTable: Table = {
      title: 'Sweep: Secrets Manager calls per secret, counted at the local endpoint (aws.operationCounters), against fleet-plan.ts\'s minimum and the old design measured',
      columns: ['secrets', 'not due: calls/secret', 'minimum', 'old design (measured)', 'x old design', 'goal <= 0.1', 'due: calls/secret', 'minimum', 'writes/refresh', 'due: by operation (per secret)'],
      rows: sizeResults.map((s) => [
        s.secrets,
        s.notDueCalls.measured,
        s.notDueCalls.minimum,
        s.notDueCalls.oldDesign,
        s.notDueCalls.ratioToOld,
        s.notDueCalls.measured <= MAX_CALLS_PER_NOT_DUE ? 'met' : 'MISSED',
        s.dueCalls?.measured ?? '-',
        s.dueCalls?.minimum ?? '-',
        s.dueCalls?.writesPerRefresh ?? '-',
        Object.entries(s.dueCalls?.byOperation ?? {})
          .filter(([, n]) => n > 0)
          .map(([op, n]) => `${op} ${n}`)
          .join(', '),
      ]),
      notes: [
        'Not due: a scheduled sweep with tag discovery (ListSecrets, 100 a page) reading every secret with BatchGetSecretValue (20 a call); minimum 1/20 + 1/100. Old design: the same fleet read as the sweep read it before batching (ListSecrets, then GetSecretValue AWSCURRENT and AWSPREVIOUS per secret), bare SDK, measured in this run.',
        'Due: one Distributed Map worker given the fleet\'s ids (no ListSecrets); every secret refreshed in place. Minimum: fleet-plan.ts\'s 1/20 BatchGetSecretValue + 1 DescribeSecret + 2 writes, plus one GetSecretValue per sweep for the shared credential secret (cached), 1/n per secret.',
      ],
    };
    const cpuTable: Table = {
      title: 'Sweep: CPU of the sweep process per secret (process.cpuUsage over the handler call; the endpoint runs in another process), ms, against bare-SDK baselines measured in the same run',
      columns: ['secrets', 'not due ms/secret', 'batched read (SDK) ms/secret', 'x batched read', 'old design ms/secret', 'x old design', 'due ms/secret', 'SDK ms/call', 'x SDK calls', 'same calls bare ms/secret', 'x same calls bare', 'goals <= 2x'],
      rows: sizeResults.map((s) => [
        s.secrets,
        s.notDueCpu.msPerSecret,
        s.notDueCpu.batchedReadMsPerSecret,
        s.notDueCpu.ratioToBatchedRead,
        s.notDueCpu.oldDesignMsPerSecret,
        s.notDueCpu.ratioToOldDesign,
        s.dueCpu?.msPerSecret ?? '-',
        s.dueCpu?.sdkMsPerCall ?? '-',
        s.dueCpu?.ratioToSdkCalls ?? '-',
        s.dueCpu?.bareMsPerSecret ?? '-',
        s.dueCpu?.ratioToBareCalls ?? '-',
        s.notDueCpu.ratioToBatchedRead <= MAX_NOT_DUE_CPU_RATIO && (s.dueCpu?.ratioToBareCalls ?? 0) <= MAX_DUE_CPU_RATIO ? 'met' : 'MISSED',
      ]),
      notes: [
        `x batched read: the not-due sweep / ListSecrets + BatchGetSecretValue of the same fleet with the bare SDK (bench/baseline/fleet-sdk.ts, bundled like the functions). SDK ms/call: the old-design baseline's CPU / its calls. x SDK calls: due ms/secret / (due SM calls per secret x SDK ms/call), which leaves out the TigerGraph call every refresh makes. Same calls bare (the goal): a due secret's calls made with the bare SDK and a bare node:http request at the due run's pace, the "bare-paced" probe's CPU per cycle over the last two thirds of its run, once compiled and connected (DescribeSecret, the provider call, PutSecretValue, UpdateSecretVersionStage; ${scaledBudget.writesPerSecond / 2} cycles/s, ${scaledConcurrency} in flight at most), plus the batched read's CPU per secret; the sweep's own figure includes its start, so the ratio leans against the sweep; x same calls bare: due ms/secret / that. The sweep also parses and validates, logs a line per secret and paces its calls.`,
        'CPU figures are on this machine\'s cores (2 shared vCPUs); the ratios are what compare across machines. A 1,024 MB Lambda (the construct\'s default for this function) gets about 0.58 vCPU.',
      ],
    };
    const runTable: Table = {
      title: `Sweep runs: bundled scheduled-refresh in a child process, quotas on (ThrottlingException beyond them), fake TigerGraph 3.x +${LATENCY_MS} ms per call`,
      columns: ['run', 'secrets', 'memory MB', 'budget writes/s', 'concurrency', 'quotas', 'wall ms', 'ms per secret acted (median / p90)', 'refreshed', 'failed (throttling)', 'SM calls', 'throttled answers', 'writes/s', 'x budget', 'BatchGet/s', 'CPU ms', 'CPU/wall', 'endpoint CPU/wall', 'endpoint loop delay ms (mean / p99)', 'peak RSS MB', 'RSS after import MB', 'heap committed MB (young)', 'heap after GC MB'],
      rows: runs.map((r) => [
        r.id,
        r.secrets,
        r.memoryMB,
        r.budget?.writesPerSecond ?? '-',
        r.budget || r.id === 'write-ceiling' || r.id === 'bare-paced' ? r.concurrency : '-',
        r.quotas,
        r.wallMs,
        r.actMs ? `${r.actMs.median} / ${r.actMs.p90}` : '-',
        r.refreshed,
        `${r.failed} (${r.throttleFailures})`,
        r.smCallsTotal,
        Object.values(r.smThrottled).reduce((a, b) => a + b, 0),
        r.writes?.perSecond ?? '-',
        r.writes?.ratioToBudget ?? '-',
        r.batchGetPerSecond ?? '-',
        r.cpuMs,
        r.cpuShare,
        r.endpointCpuShare,
        `${r.endpointLoopDelayMs.mean} / ${r.endpointLoopDelayMs.p99}`,
        r.maxRssMB,
        r.rssAfterImportMB,
        `${r.heapTotalMB} (${r.newSpaceMB})`,
        r.heapAfterGcMB,
      ]),
      notes: [
        `Due runs (except "due-aws-defaults") give one worker the whole fleet and ${scale === 1 ? 'the default budgets' : `${scale}x the default budgets (${scaledBudget.writesPerSecond} writes/s, ${scaledBudget.rotationsPerSecond} rotations/s) against write and RotateSecret quotas raised ${scale}x (${50 * scale}/s), so budget/quota stays 40/50, and concurrency ${scaledConcurrency} (in flight per unit of budget as at the defaults, 10 for 40/s)`}; "due-aws-defaults" sweeps ${defaultBudgetSecrets} due secrets at the default 40 writes/s against AWS's quotas. writes/s: PutSecretValue + UpdateSecretVersionStage answered, (count - 1) / first-to-last.`,
        `Setup (not timed): ${setup.map((s) => `${s.created} secrets in ${s.setupMs} ms`).join('; ')}. Logs: ${runs.filter((r) => r.id === 'due').map((r) => `${r.logBytesPerSecret} bytes per due secret at ${r.secrets}`).join(', ')}.`,
        `ms per secret acted: each due secret's SecretReport.durationMs from the function's log (waits for the budget included). wall ms: the handler call in the child; "peak RSS": the child's maxRSS (whole process); "RSS after import": before the handler ran; "heap committed": V8's heap at the end, before a full GC (young generation in brackets); "heap after GC": still in use after a full GC at the end (--expose-gc).`,
      ],
    };
    const dueRows = runs.filter((r) => r.id === 'due' || r.id === 'due-aws-defaults');
    const writeTable: Table = {
      title: 'Sweep: due secrets under the write budget, quotas on (the achieved write rate, throttling, peak RSS of the sweep process)',
      columns: ['run', 'secrets', 'budget writes/s', 'quota writes/s', 'concurrency', 'achieved writes/s', 'x budget', 'endpoint ceiling writes/s', 'x min(budget, ceiling)', 'throttled answers', 'failures (throttling)', 'wall s', 'peak RSS MB', 'goals'],
      rows: dueRows.map((r) => {
        const c = r.id === 'due' ? sizeResults.find((x) => x.secrets === r.fleetSize)?.writeRate : undefined;
        const quota = r.id === 'due' ? 50 * scale : 50;
        const atGoal = r.id === 'due-aws-defaults' || r.secrets === goalSize;
        const met = (r.writes?.ratioToBudget ?? 0) >= MIN_WRITE_RATE_RATIO && r.throttleFailures === 0 && (r.id !== 'due' || r.maxRssMB < MAX_RSS_MB);
        return [
          r.id,
          r.secrets,
          r.budget?.writesPerSecond ?? '-',
          quota,
          r.concurrency,
          r.writes?.perSecond ?? '-',
          r.writes?.ratioToBudget ?? '-',
          c?.ceiling ?? '-',
          c?.ratioToCeiling ?? '-',
          Object.values(r.smThrottled).reduce((a, b) => a + b, 0),
          `${r.failed} (${r.throttleFailures})`,
          round(r.wallMs / 1000, 1),
          r.maxRssMB,
          atGoal ? (met ? 'met' : 'MISSED') : '-',
        ];
      }),
      notes: [
        `Goals: achieved / budget >= ${MIN_WRITE_RATE_RATIO} and no failure from throttling (peak RSS is reported, not a goal since issue 22: the retained memory is). "endpoint ceiling": a bare-SDK client making a refresh's Secrets Manager calls with as many in flight, unpaced, against the same endpoint at the same fleet size right after the due run (bench/baseline/fleet-sdk.ts write-probe, ${WRITE_PROBE_SECONDS} s): what this machine's local endpoint could serve then.`,
        `At AWS's default budget (40 writes/s) the ${goalSize.toLocaleString('en-US')}-secret due run would write for ${round((goalSize * (sizeResults.at(-1)?.dueCalls?.writesPerRefresh ?? 3)) / DEFAULT_SETTINGS.writesPerSecond, 0)} s (fleet-plan.ts: ${round((goalSize * 2) / DEFAULT_SETTINGS.writesPerSecond, 0)} s at 2 writes per refresh), longer than the function's ${LAMBDA_TIMEOUT_MS / 60_000}-minute timeout: one invocation refreshes what fits and counts the rest as skipped for the next sweep. --sizes ${goalSize} --budget-scale 1 runs it so.`,
      ],
    };
    // The due sweep at the goal size, as deployed and at each --memory-sizes setting.
    const memoryRuns = runs.filter((r) => (r.id === 'due' || r.id === 'due-memory') && r.secrets === goalSize).sort((a, b) => a.memoryMB - b.memoryMB);
    const defaultRefreshesPerSecond = DEFAULT_SETTINGS.writesPerSecond / (sizeResults.at(-1)?.dueCalls?.writesPerRefresh ?? 2);
    const memoryTable: Table = {
      title: `Sweep: peak RSS of the ${goalSize.toLocaleString('en-US')}-secret due sweep by the function's memory setting (the Lambda runtime sizes V8's heap from it)`,
      columns: ['memory MB', 'runtime flags', 'peak RSS MB', 'at peak: heap committed (young) MB', 'heap in use MB', 'outside the heap MB', 'heap after GC MB', 'CPU ms/secret', 'Lambda vCPU', 'CPU headroom at the default budget', `peak RSS < ${MAX_RSS_MB} MB`],
      rows: memoryRuns.map((r) => {
        const vcpu = r.memoryMB / LAMBDA_MB_PER_VCPU;
        return [
          r.memoryMB,
          lambdaRuntimeNodeArgs(r.memoryMB).filter((f) => f.includes('space-size')).join(' '),
          r.maxRssMB,
          `${r.atPeak.heapTotalMB} (${r.atPeak.newSpaceMB})`,
          r.atPeak.heapUsedMB,
          r.atPeak.nonHeapMB,
          r.heapAfterGcMB,
          r.cpuMsPerSecret,
          round(vcpu, 2),
          `${round((vcpu * 1000) / (r.cpuMsPerSecret * defaultRefreshesPerSecond), 1)}x`,
          r.maxRssMB < MAX_RSS_MB ? 'yes' : 'no',
        ];
      }),
      notes: [
        `Runtime flags: what the Lambda Node.js runtime's bootstrap passes node for that memory (a tenth of it new space, half of that the semi-space limit; bench/lib/lambda-env.ts). They are on node's command line, so NODE_OPTIONS cannot lower them. "at peak": the sample (every 50 ms) with the highest RSS. "heap after GC": in use after a full GC at the end: what the sweep keeps.`,
        `CPU headroom: the Lambda's vCPU share (memory / ${LAMBDA_MB_PER_VCPU} MB) / the CPU the default budget's ${round(defaultRefreshesPerSecond, 1)} refreshes/s need at this run's CPU per secret (on this machine's cores; a Lambda core may be slower). Below about 1.5x a due backlog is bound by CPU rather than by the write budget.`,
      ],
    };
    const tables: Table[] = [callsTable, cpuTable, writeTable, ...(memoryRuns.length > 1 ? [memoryTable] : []), runTable];
    const profileRows = (['not-due', 'due'] as const).filter((k) => profiles[k]);
    if (profileRows.length) {
      const top = 10;
      tables.push({
        title: `Where the sweep's CPU goes: ${profileSize} secrets under --cpu-prof (charged to the nearest package on the stack; source-mapped)`,
        columns: profileRows.flatMap((k) => [`${k}: charged to`, 'ms', 'share']),
        rows: Array.from({ length: top }, (_, i) =>
          profileRows.flatMap((k) => {
            const c = profiles[k]?.cpu.byCaller[i];
            return c ? [c.name, c.ms, `${Math.round(c.share * 100)}%`] : ['', '', ''];
          }),
        ),
        notes: profileRows.map((k) => `${k}: sampled ${profiles[k]?.cpu.totalMs} ms over a ${profiles[k]?.wallMs} ms handler call (profiler overhead included).`),
      });
    }
    if (planCheck) {
      tables.push({
        title: `fleet-plan.ts against the measured due run (${planCheck.secrets} refreshes at ${scaledBudget.writesPerSecond} writes/s)`,
        columns: ['', 'planned', 'measured'],
        rows: [
          ['writes', planCheck.plannedWrites, planCheck.measuredWrites],
          ['seconds of writes', planCheck.plannedSeconds, planCheck.measuredSeconds],
          [
            `at the default ${DEFAULT_SETTINGS.writesPerSecond} writes/s (s)`,
            round((planCheck.plannedWrites / DEFAULT_SETTINGS.writesPerSecond) * 1, 0),
            round(planCheck.measuredWrites / DEFAULT_SETTINGS.writesPerSecond, 0),
          ],
        ],
        notes: [`At the default budget the scheduled-refresh function's ${LAMBDA_TIMEOUT_MS / 60_000}-minute timeout holds about ${Math.floor(((LAMBDA_TIMEOUT_MS - 15_000) / 1000) * DEFAULT_SETTINGS.writesPerSecond)} writes: a larger due backlog is skipped and finished by the next hourly sweeps, or spread over a Distributed Map.`],
      });
    }
    if (outageCheck || drain) {
      tables.push({
        title: 'Sweep: an outage of the token API, then the recovery drain (issue 22)',
        columns: ['run', 'secrets', 'failed', 'refreshed or revoked', 'AWSCURRENT live (sampled)', 'wall s', 'planned s', 'x plan', 'least time left after (s)', 'failures from throttling'],
        rows: [
          ...(outageCheck
            ? [['outage (every refresh answered 503)', outageCheck.secrets, outageCheck.failed, outageCheck.refreshed + outageCheck.revoked, `${outageCheck.currentLive} / ${outageCheck.sampled}`, round(outageCheck.wallMs / 1000, 1), '-', '-', '-', '-']]
            : []),
          ...(drain ? [['recovery drain (every secret due at once)', drain.secrets, '-', '-', '-', drain.wallSeconds, drain.plannedSeconds, drain.ratioToPlan, drain.minSecondsToExpiry, drain.throttleFailures]] : []),
        ],
        notes: [
          `The outage runs once: a scheduled sweep (AWS's default budgets) of the ${defaultBudgetSecrets} untagged secrets with every TigerGraph refresh answered 503 (one attempt each); the outage then lasts a day of fake time, and due-aws-defaults is its recovery (it also clears each failure record). The drain is the due run at the largest size: the whole fleet due at once, refreshed under the ${scaledBudget.writesPerSecond} writes/s budget (quotas x${scale}); planned: fleet-plan.ts planSweep for it; goals: no throttling failure, no token expired, wall time <= ${MAX_DRAIN_TO_PLAN}x the plan.`,
        ],
      });
    }
    tables.push(...plan.tables);

    return {
      data: {
        latencyMs: LATENCY_MS,
        budgetScale: scale,
        conditions: `fleet of TigerGraph 3.x secrets (refreshed and settled state, one shared credential), quotas on in every run, due runs at ${scale}x budgets and write/rotate quotas`,
        setup,
        runs,
        sizes: sizeResults,
        profiles,
        ...(planCheck ? { planCheck } : {}),
        ...(outageCheck ? { outage: outageCheck } : {}),
        ...(drain ? { drain } : {}),
        plan: plan.data,
      },
      tables,
      goals,
      findings,
    };
  } finally {
    await stack.close();
  }
}
