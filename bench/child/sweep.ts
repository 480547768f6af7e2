/**
 * The scheduled-refresh "Lambda" for the sweep benchmark: a fresh Node process imports the bundled
 * handler and runs one sweep, against endpoints served by the bench process, so only the
 * function's own memory is counted in maxRSS.
 *
 *   node sweep.mjs <bundle index.mjs> <event JSON> <timeout ms>
 */
import { pathToFileURL } from 'node:url';
import { lambdaContext } from '../../local/lambda-context.js';
import { errorSummary, report } from './report.js';
import type { ScheduledRefreshResult } from '../../functions/scheduled-refresh/handler.js';

export interface SweepChildReport {
  ok: boolean;
  error?: { name: string; message: string };
  importMs: number;
  /** The handler call: tag discovery (ListSecrets), settings, and the sweep. */
  handleMs: number;
  summary?: { checked: number; refreshed: number; rotated: number; revoked: number; skipped: number; failed: number; firstError?: string };
  maxRssKB: number;
  heapUsedMB: number;
  /** Heap still in use after a full GC at the end (needs --expose-gc): what the sweep retains. */
  heapAfterGcMB?: number;
  /** CPU this process used during the handler call (user + system), ms. */
  handleCpuMs: number;
}

type Handler = (event: unknown, context: unknown) => Promise<ScheduledRefreshResult>;

const [bundle, eventJson, timeoutArg] = process.argv.slice(2);
if (!bundle || !eventJson) {
  console.error('usage: sweep.mjs <bundle> <event JSON> [timeout ms]');
  process.exit(2);
}
const out: SweepChildReport = { ok: true, importMs: 0, handleMs: 0, maxRssKB: 0, heapUsedMB: 0, handleCpuMs: 0 };
try {
  const t0 = performance.now();
  const mod = (await import(pathToFileURL(bundle).href)) as { handler: Handler };
  const t1 = performance.now();
  out.importMs = t1 - t0;
  const cpu0 = process.cpuUsage();
  const result = await mod.handler(JSON.parse(eventJson) as unknown, lambdaContext('scheduled-refresh', Number(timeoutArg ?? 300_000)));
  out.handleMs = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  out.handleCpuMs = (cpu.user + cpu.system) / 1000;
  out.summary = {
    checked: result.checked,
    refreshed: result.refreshed,
    rotated: result.rotated,
    revoked: result.revoked,
    skipped: result.skipped,
    failed: result.failed.length,
    ...(result.failed[0] ? { firstError: result.failed[0].error } : {}),
  };
} catch (error) {
  out.ok = false;
  out.error = errorSummary(error);
}
out.maxRssKB = process.resourceUsage().maxRSS;
out.heapUsedMB = Math.round(process.memoryUsage().heapUsed / 1048576);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) {
  gc();
  out.heapAfterGcMB = Math.round(process.memoryUsage().heapUsed / 1048576);
}
report(out);
process.exit(out.ok ? 0 : 1);
