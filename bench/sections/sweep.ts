/**
 * Section 4: sweep throughput. The bundled scheduled-refresh handler runs in a child process (the
 * "Lambda") against endpoints served by this process, so only the function's memory counts. It
 * finds the managed secrets by tag (ListSecrets paging), reads its settings from SSM, and
 * refreshes every secret (all 3.x, all due: refreshBeforeSeconds is larger than the lifetime),
 * while the fake TigerGraph adds a fixed latency to every call.
 *
 * Setup is not timed with the sweep: tokens are minted at the fake directly and the token secrets
 * created with their token already stored (as a finished rotation leaves them), sharing one
 * credential secret; creation runs with bounded concurrency.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import pLimit from 'p-limit';
import { withToken } from '../../core/secrets/token-secret.js';
import { createTigerGraphProvider } from '../../core/providers/tigergraph/index.js';
import { MANAGED_TAG, startLocalStack, type LocalStack } from '../../local/stack.js';
import type { SweepChildReport } from '../child/sweep.js';
import { buildAllBundles, buildChildScripts } from '../lib/bundles.js';
import { runChild } from '../lib/child.js';
import { findProfile, summarizeCpuProfile, type CpuBreakdown } from '../lib/cpu-profile.js';
import { lambdaEnv } from '../lib/lambda-env.js';
import { goal, type Goal, type SectionResult } from '../lib/results.js';
import { ratio, round } from '../lib/stats.js';
import type { Table } from '../lib/table.js';

export const LATENCY_MS = 20;
export const MIN_EFFICIENCY = 0.85;
export const MAX_RSS_MB = 128;
/** The goal's RSS applies at this size (or the largest size run, when smaller). */
export const RSS_GOAL_SIZE = 10_000;
const LIFETIME_SECONDS = 30 * 86_400;
/** Larger than any lifetime: every secret is due on every sweep. */
const REFRESH_BEFORE_SECONDS = 10 * 365 * 86_400;
const LAMBDA_TIMEOUT_MS = 5 * 60_000;
/** The Lambda runtime's bootstrap is commonly reported to start node with --expose-gc; it lets the child measure retained heap. */
const CHILD_NODE_ARGS = ['--expose-gc'];
/**
 * V8 heap limits for a 256 MB function (infra/construct.ts memorySize), as community
 * reconstructions of the Lambda Node bootstrap set them (semi-space memory/20, old space
 * memory*0.9); not an AWS-documented value. Used for one extra run at the RSS goal size.
 */
export const LAMBDA_256_HEAP_ARGS = ['--max-semi-space-size=12', '--max-old-space-size=230'];
const SETUP_CONCURRENCY = 16;

export interface SweepRun {
  secrets: number;
  concurrency: number;
  /** Handler call inside the child: discovery + settings + sweep. */
  wallMs: number;
  /** secrets x TG calls per secret (1: the refresh) x latency / concurrency. */
  idealMs: number;
  /** idealMs / wallMs. */
  efficiency: number;
  secretsPerSecond: number;
  maxRssMB: number;
  heapUsedMB: number;
  heapAfterGcMB: number;
  importMs: number;
  refreshed: number;
  skipped: number;
  failed: number;
  firstError?: string;
  tigergraphCalls: number;
  secretsManagerCalls: Record<string, number>;
  ssmCalls: number;
  /** Secrets Manager calls per secret, ListSecrets excluded. */
  smCallsPerSecret: number;
  /** What the function logged (JSON lines, EMF), bytes per secret. */
  logBytesPerSecret: number;
  /** CPU the Lambda process used during the handler call / wall (1 = one core busy throughout). */
  lambdaCpuShare: number;
  /** Lambda CPU per secret swept, ms (on this machine's cores; a 256 MB Lambda gets about 1/7 of a vCPU). */
  lambdaCpuMsPerSecret: number;
  /** CPU this process (the local endpoints and the fake TigerGraph) used meanwhile / wall. */
  endpointCpuShare: number;
}

export interface SweepData {
  latencyMs: number;
  tigergraphCallsPerSecretIdeal: 1;
  setup: Array<{ secrets: number; created: number; setupMs: number; secretsPerSecond: number }>;
  runs: SweepRun[];
  /** One extra run at the RSS goal size, concurrency 50, with V8 heap limits for a 256 MB function. */
  cappedHeap?: { secrets: number; concurrency: number; nodeArgs: string[]; wallMs: number; maxRssMB: number; heapAfterGcMB: number };
  /** One extra run under --cpu-prof: the Lambda's CPU by package (source-mapped). */
  profile?: { secrets: number; concurrency: number; wallMs: number; cpu: CpuBreakdown };
}

export async function createSecrets(stack: LocalStack, credentialArn: string, from: number, to: number): Promise<void> {
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
  await Promise.all(
    Array.from({ length: to - from }, (_, k) =>
      limit(async () => {
        const issued = await minter.issue({ lifetimeSeconds: LIFETIME_SECONDS, purpose: { secretName: 'bench/sweep', versionId: 'setup' } });
        await stack.secretsManager.send(
          new CreateSecretCommand({
            Name: `bench/sweep/token-${String(from + k).padStart(5, '0')}`,
            SecretString: withToken(JSON.stringify(base), issued, { extra: { providerVersion: '3' } }),
            Tags: [{ Key: MANAGED_TAG, Value: 'true' }],
          }),
        );
      }),
    ),
  );
}

export interface ChildSweep {
  report: SweepChildReport;
  endpointCpuMs: number;
  logBytes: number;
}

export async function sweepInChild(
  stack: LocalStack,
  script: string,
  bundle: string,
  concurrency: number,
  nodeArgs: string[] = [],
): Promise<ChildSweep> {
  await stack.putSettings({ concurrency, refreshBeforeSeconds: REFRESH_BEFORE_SECONDS, revokeGraceSeconds: 3600 });
  stack.aws.resetRequestLog();
  stack.tg3.resetStats();
  stack.tg3.setFaults({ latencyMs: LATENCY_MS });
  const cpu0 = process.cpuUsage();
  const logFile = path.join(path.dirname(script), 'sweep-stdout.log');
  try {
    const res = await runChild<SweepChildReport>(script, {
      stdoutFile: logFile,
      env: lambdaEnv({ functionName: 'scheduled-refresh', endpoint: stack.aws.url }),
      nodeArgs: [...CHILD_NODE_ARGS, ...nodeArgs],
      args: [bundle, JSON.stringify({ 'detail-type': 'Scheduled Event', source: 'aws.scheduler' }), String(LAMBDA_TIMEOUT_MS)],
      timeoutMs: LAMBDA_TIMEOUT_MS + 60_000,
    });
    if (!res.result.ok) throw new Error(`sweep child failed: ${res.result.error?.name}: ${res.result.error?.message}`);
    const cpu = process.cpuUsage(cpu0);
    // The parent's CPU over the whole child lifetime; the child's import is a small part of it.
    return { report: res.result, endpointCpuMs: (cpu.user + cpu.system) / 1000, logBytes: res.stdoutBytes };
  } finally {
    stack.tg3.setFaults({});
    await rm(logFile, { force: true });
  }
}

export async function runSweep(ctx: {
  workDir: string;
  smoke: boolean;
  sizes?: number[];
  log: (m: string) => void;
}): Promise<SectionResult<SweepData>> {
  const sizes = [...(ctx.sizes ?? (ctx.smoke ? [20] : [100, 1_000, 10_000]))].sort((a, b) => a - b);
  const concurrencies = [10, 50];
  const bundles = await buildAllBundles(ctx.workDir);
  const scripts = await buildChildScripts(ctx.workDir);
  // The endpoints only: the sweep itself runs in the child.
  const stack = await startLocalStack({ setProcessEnv: false });
  try {
    const credential = await stack.secretsManager.send(
      new CreateSecretCommand({ Name: 'bench/sweep/credentials', SecretString: JSON.stringify({ secret: stack.tigergraphSecret }) }),
    );
    const setup: SweepData['setup'] = [];
    const runs: SweepRun[] = [];
    let created = 0;
    // Profile the largest size up to 1,000 (a 10,000 sweep under the profiler adds a minute).
    const profileSize = [...sizes].reverse().find((n) => n <= 1_000) ?? (sizes[0] as number);
    let profile: SweepData['profile'];
    for (const size of sizes) {
      const t0 = performance.now();
      ctx.log(`sweep: creating secrets ${created}..${size - 1}`);
      await createSecrets(stack, credential.ARN as string, created, size);
      const setupMs = performance.now() - t0;
      setup.push({ secrets: size, created: size - created, setupMs: round(setupMs, 0), secretsPerSecond: round(((size - created) / setupMs) * 1000, 0) });
      created = size;

      for (const concurrency of concurrencies) {
        ctx.log(`sweep: ${size} secrets at concurrency ${concurrency}`);
        const { report, endpointCpuMs, logBytes } = await sweepInChild(stack, scripts.sweep, bundles['scheduled-refresh'].file, concurrency);
        const smCalls: Record<string, number> = {};
        let ssmCalls = 0;
        for (const e of stack.aws.requestLog) {
          if (e.service === 'ssm') ssmCalls++;
          else smCalls[e.operation] = (smCalls[e.operation] ?? 0) + 1;
        }
        const perSecret = Object.entries(smCalls)
          .filter(([op]) => op !== 'ListSecrets')
          .reduce((a, [, n]) => a + n, 0);
        const idealMs = (size * 1 * LATENCY_MS) / concurrency;
        runs.push({
          secrets: size,
          concurrency,
          wallMs: round(report.handleMs, 0),
          idealMs: round(idealMs, 0),
          efficiency: ratio(idealMs, report.handleMs),
          secretsPerSecond: round((size / report.handleMs) * 1000, 0),
          maxRssMB: round(report.maxRssKB / 1024, 1),
          heapUsedMB: report.heapUsedMB,
          heapAfterGcMB: report.heapAfterGcMB ?? Number.NaN,
          importMs: round(report.importMs, 0),
          refreshed: report.summary?.refreshed ?? 0,
          skipped: report.summary?.skipped ?? 0,
          failed: report.summary?.failed ?? 0,
          ...(report.summary?.firstError ? { firstError: report.summary.firstError } : {}),
          tigergraphCalls: stack.tg3.stats().total,
          secretsManagerCalls: smCalls,
          ssmCalls,
          smCallsPerSecret: ratio(perSecret, size),
          logBytesPerSecret: Math.round(logBytes / size),
          lambdaCpuShare: ratio(report.handleCpuMs, report.handleMs),
          lambdaCpuMsPerSecret: ratio(report.handleCpuMs, size),
          endpointCpuShare: ratio(endpointCpuMs, report.handleMs + report.importMs),
        });
      }
      if (size === profileSize) {
        // Where the Lambda's time goes: one more sweep of this size under the V8 CPU profiler.
        const dir = await mkdtemp(path.join(ctx.workDir, 'sweep-prof-'));
        try {
          ctx.log(`sweep: CPU profile of one more sweep (${size} secrets, concurrency 50)`);
          const { report } = await sweepInChild(stack, scripts.sweep, bundles['scheduled-refresh'].file, 50, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
          const cpu = await summarizeCpuProfile(await findProfile(dir), bundles['scheduled-refresh'].file);
          profile = { secrets: size, concurrency: 50, wallMs: round(report.handleMs, 0), cpu };
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
    }

    // Is the peak RSS garbage the GC had no reason to collect, or memory the sweep needs? Run the
    // largest sweep once more with the heap limited as for a 256 MB function.
    const rssSize = sizes.includes(RSS_GOAL_SIZE) ? RSS_GOAL_SIZE : (sizes.at(-1) as number);
    ctx.log(`sweep: ${rssSize} secrets at concurrency 50 with V8 heap limits for 256 MB (${LAMBDA_256_HEAP_ARGS.join(' ')})`);
    const capped = await sweepInChild(stack, scripts.sweep, bundles['scheduled-refresh'].file, 50, LAMBDA_256_HEAP_ARGS);
    const cappedHeap: SweepData['cappedHeap'] = {
      secrets: rssSize,
      concurrency: 50,
      nodeArgs: LAMBDA_256_HEAP_ARGS,
      wallMs: round(capped.report.handleMs, 0),
      maxRssMB: round(capped.report.maxRssKB / 1024, 1),
      heapAfterGcMB: capped.report.heapAfterGcMB ?? Number.NaN,
    };

    const goals: Goal[] = runs.map((r) =>
      goal('sweep', `sweep ${r.secrets} secrets at concurrency ${r.concurrency}: ideal / wall`, r.efficiency, '>=', MIN_EFFICIENCY, 'ratio'),
    );
    const rssRuns = runs.filter((r) => r.secrets === rssSize);
    const peakRss = Math.max(...rssRuns.map((r) => r.maxRssMB));
    goals.push(goal('sweep', `sweep peak RSS at ${rssSize} secrets (MB)`, peakRss, '<', MAX_RSS_MB, 'MB'));

    const findings: string[] = [];
    for (const r of runs) {
      if (r.failed || r.skipped || r.refreshed !== r.secrets) {
        findings.push(`sweep ${r.secrets}@${r.concurrency}: refreshed ${r.refreshed}/${r.secrets}, skipped ${r.skipped}, failed ${r.failed}${r.firstError ? ` (${r.firstError})` : ''}`);
      }
    }
    const missed = runs.filter((r) => r.efficiency < MIN_EFFICIENCY);
    if (missed.length) {
      findings.push(
        `Sweep below ${MIN_EFFICIENCY * 100}% of ideal in ${missed.length}/${runs.length} runs: ` +
          missed.map((r) => `${r.secrets}@${r.concurrency} ${Math.round(r.efficiency * 100)}% (${r.wallMs} ms vs ideal ${r.idealMs} ms)`).join(', ') +
          `. Per secret the sweep makes ${runs[0]?.smCallsPerSecret} Secrets Manager calls besides the 1 TigerGraph call, plus ceil(n/100) ListSecrets pages and 1 SSM read.`,
      );
    }
    if (peakRss >= MAX_RSS_MB) {
      findings.push(
        `Sweep peak RSS ${peakRss} MB at ${rssSize} secrets (goal < ${MAX_RSS_MB} MB); ${cappedHeap.maxRssMB} MB with V8 heap limits for a 256 MB function; ` +
          `heap still in use after a full GC: ${Math.max(...rssRuns.map((r) => r.heapAfterGcMB))} MB.`,
      );
    }

    const table: Table = {
      title: `Sweep throughput: bundled scheduled-refresh in a child process, tag discovery, all secrets due (3.x refresh), fake TigerGraph +${LATENCY_MS} ms per call`,
      columns: ['secrets', 'concurrency', 'wall ms', 'ideal ms', 'ideal/wall', 'secrets/s', 'Lambda CPU ms/secret', 'Lambda CPU/wall', 'endpoints CPU/wall', 'peak RSS MB', 'heap after GC MB', 'refreshed', 'TG calls', 'SM calls/secret', 'ListSecrets', 'goal >= 85%'],
      rows: runs.map((r) => [
        r.secrets,
        r.concurrency,
        r.wallMs,
        r.idealMs,
        r.efficiency,
        r.secretsPerSecond,
        r.lambdaCpuMsPerSecret,
        r.lambdaCpuShare,
        r.endpointCpuShare,
        r.maxRssMB,
        r.heapAfterGcMB,
        r.refreshed,
        r.tigergraphCalls,
        r.smCallsPerSecret,
        r.secretsManagerCalls.ListSecrets ?? 0,
        r.efficiency >= MIN_EFFICIENCY ? 'met' : 'MISSED',
      ]),
      notes: [
        `ideal = secrets x 1 TigerGraph call x ${LATENCY_MS} ms / concurrency. Wall = the handler call in the child (discovery, settings, sweep); process start and import excluded.`,
        `Setup (not in wall): ${setup.map((s) => `${s.created} secrets in ${s.setupMs} ms (${s.secretsPerSecond}/s)`).join('; ')}.`,
        `Peak RSS goal < ${MAX_RSS_MB} MB at ${rssSize} secrets: ${peakRss} MB with Node's default heap sizing; ${cappedHeap.maxRssMB} MB (heap after GC ${cappedHeap.heapAfterGcMB} MB, wall ${cappedHeap.wallMs} ms) at concurrency 50 with ${LAMBDA_256_HEAP_ARGS.join(' ')} (V8 limits for a 256 MB function).`,
        `The function logged ${runs.at(-1)?.logBytesPerSecret ?? 0} bytes per secret (JSON log lines and EMF metrics), written to a file as the Lambda runtime would ship them.`,
        'Lambda CPU/wall: CPU time of the Lambda process during the handler call over its wall time (1.0 = one core busy throughout); endpoints CPU/wall: the same for this process, which serves Secrets Manager, SSM and the fake TigerGraph.',
      ],
    };
    const tables: Table[] = [table];
    if (profile) {
      tables.push({
        title: `Where the sweep's CPU goes: ${profile.secrets} secrets at concurrency ${profile.concurrency} under --cpu-prof (Lambda process, self time by package, source-mapped)`,
        columns: ['charged to (nearest package on the stack)', 'CPU ms', 'share', 'self time by where code lives', 'CPU ms ', 'share '],
        rows: Array.from({ length: Math.max(profile.cpu.byCaller.length, profile.cpu.byPackage.length) }, (_, i) => {
          const c = profile?.cpu.byCaller[i];
          const p = profile?.cpu.byPackage[i];
          return [c?.name ?? '', c?.ms ?? '', c ? `${Math.round(c.share * 100)}%` : '', p?.name ?? '', p?.ms ?? '', p ? `${Math.round(p.share * 100)}%` : ''];
        }),
        notes: [`Sampled CPU ${profile.cpu.totalMs} ms (idle ${profile.cpu.idleMs} ms) over a ${profile.wallMs} ms handler call (profiler overhead included).`],
      });
    }
    return { data: { latencyMs: LATENCY_MS, tigergraphCallsPerSecretIdeal: 1, setup, runs, cappedHeap, ...(profile ? { profile } : {}) }, tables, goals, findings };
  } finally {
    await stack.close();
  }
}
