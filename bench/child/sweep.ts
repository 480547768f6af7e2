/**
 * The sweep "Lambda" for the sweep benchmark: a fresh Node process imports a bundled handler (the
 * scheduled-refresh function, or a baseline) and handles one event, against endpoints served by the
 * bench process, so only this process's own CPU and memory are counted.
 *
 *   node sweep.mjs <bundle index.mjs> <event JSON | @file with the event> <timeout ms> [function name]
 *
 * A large event (a Distributed Map batch of 10,000 ids) goes through a file: one command-line
 * argument is limited to 128 kB on Linux.
 *
 * BENCH_CLOCK_OFFSET_MS (removed from the environment before the handler is imported): the bench
 * moves its local clock forward (core/clock.ts OffsetClock, which the local endpoint and the fake
 * TigerGraph share) to make tokens due without waiting; the handler's clock is Date.now(), so this
 * process's Date.now() is moved by the same offset. `new Date()` and performance.now() stay real.
 */
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { pathToFileURL } from 'node:url';
import { lambdaContext } from '../../local/lambda-context.js';
import { errorSummary, report } from './report.js';

export interface SweepChildReport {
  ok: boolean;
  error?: { name: string; message: string };
  importMs: number;
  /** The handler call (for scheduled-refresh: settings, fleet reads and the sweep). */
  handleMs: number;
  /**
   * The handler's answer, numbers only (a sweep's counters; a baseline's `checked`), plus the
   * number of failures and the first failure's message for a sweep.
   */
  summary: Record<string, number>;
  firstError?: string;
  maxRssKB: number;
  /** RSS once the bundle is imported, before the handler runs: code, source maps, the SDK's setup. */
  rssAfterImportMB: number;
  /** At the end, before the full GC: the V8 heap committed, its young generation, and memory outside it. */
  heapTotalMB: number;
  newSpaceMB: number;
  externalMB: number;
  heapUsedMB: number;
  /** Heap still in use after a full GC at the end (needs --expose-gc): what the handler retains. */
  heapAfterGcMB?: number;
  /**
   * Sampled every 50 ms during the handler call: the sample with the highest RSS, split into the V8
   * heap committed (its young generation) and the rest (Node's own, code, buffers, the allocator).
   */
  atPeak: { rssMB: number; heapTotalMB: number; newSpaceMB: number; heapUsedMB: number; nonHeapMB: number };
  /** CPU this process used during the handler call (user + system), ms. */
  handleCpuMs: number;
  /** The same, over the whole process (Node start, import, handler). */
  processCpuMs: number;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const clockOffsetMs = Number(process.env.BENCH_CLOCK_OFFSET_MS ?? 0);
delete process.env.BENCH_CLOCK_OFFSET_MS;
if (clockOffsetMs) {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + clockOffsetMs;
}

const [bundle, eventArg, timeoutArg, functionName] = process.argv.slice(2);
if (!bundle || !eventArg) {
  console.error('usage: sweep.mjs <bundle> <event JSON | @file> [timeout ms] [function name]');
  process.exit(2);
}
const out: SweepChildReport = {
  ok: true,
  importMs: 0,
  handleMs: 0,
  summary: {},
  maxRssKB: 0,
  rssAfterImportMB: 0,
  heapTotalMB: 0,
  newSpaceMB: 0,
  externalMB: 0,
  heapUsedMB: 0,
  atPeak: { rssMB: 0, heapTotalMB: 0, newSpaceMB: 0, heapUsedMB: 0, nonHeapMB: 0 },
  handleCpuMs: 0,
  processCpuMs: 0,
};
const mb = (bytes: number) => Math.round(bytes / 1048576);
const newSpaceBytes = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
let peakRss = 0;
const sampleMemory = () => {
  // rss() alone is cheap; the full breakdown (which walks the heap's spaces) only at a new peak.
  const rss = process.memoryUsage.rss();
  if (rss <= peakRss) return;
  const m = process.memoryUsage();
  peakRss = Math.max(rss, m.rss);
  out.atPeak = { rssMB: mb(m.rss), heapTotalMB: mb(m.heapTotal), newSpaceMB: mb(newSpaceBytes()), heapUsedMB: mb(m.heapUsed), nonHeapMB: mb(m.rss - m.heapTotal) };
};
try {
  const event = JSON.parse(eventArg.startsWith('@') ? readFileSync(eventArg.slice(1), 'utf8') : eventArg) as unknown;
  const t0 = performance.now();
  const mod = (await import(pathToFileURL(bundle).href)) as { handler: Handler };
  const t1 = performance.now();
  out.importMs = t1 - t0;
  out.rssAfterImportMB = mb(process.memoryUsage().rss);
  const sampler = setInterval(sampleMemory, 50);
  const cpu0 = process.cpuUsage();
  const result = await mod.handler(event, lambdaContext(functionName ?? 'scheduled-refresh', Number(timeoutArg ?? 300_000)));
  out.handleMs = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  sampleMemory();
  out.handleCpuMs = (cpu.user + cpu.system) / 1000;
  for (const [key, value] of Object.entries((result ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'number') out.summary[key] = value;
    else if (Array.isArray(value)) out.summary[key] = value.length;
  }
  const failed = (result as { failed?: Array<{ error?: string }> } | undefined)?.failed;
  if (Array.isArray(failed) && failed[0]?.error) out.firstError = failed[0].error;
} catch (error) {
  out.ok = false;
  out.error = errorSummary(error);
}
const total = process.cpuUsage();
out.processCpuMs = (total.user + total.system) / 1000;
out.maxRssKB = process.resourceUsage().maxRSS;
const memory = process.memoryUsage();
out.heapUsedMB = mb(memory.heapUsed);
out.heapTotalMB = mb(memory.heapTotal);
out.externalMB = mb(memory.external);
out.newSpaceMB = mb(newSpaceBytes());
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) {
  gc();
  out.heapAfterGcMB = mb(process.memoryUsage().heapUsed);
}
report(out);
process.exit(out.ok ? 0 : 1);
