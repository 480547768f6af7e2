/**
 * One cold start, as the Lambda runtime does it: a fresh Node process imports the bundled handler
 * (init) and invokes it once. Times are taken around the import and around the first invocation;
 * `bootMs` is how long Node took to reach this script (the same for every bundle).
 *
 *   node cold-start.mjs <bundle index.mjs> <event JSON> <function name> [--import-only]
 */
import { pathToFileURL } from 'node:url';
import { lambdaContext } from '../../local/lambda-context.js';
import { errorSummary, report } from './report.js';

export interface ColdStartReport {
  bootMs: number;
  importMs: number;
  /** First invocation; 0 with --import-only. */
  handleMs: number;
  ok: boolean;
  error?: { name: string; message: string };
  /** Top-level keys of the handler's answer (never values: they could hold secrets). */
  resultKeys: string[];
  maxRssKB: number;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const bootMs = performance.now();
const [bundle, eventJson, functionName, flag] = process.argv.slice(2);
if (!bundle || !eventJson || !functionName) {
  console.error('usage: cold-start.mjs <bundle> <event JSON> <function name> [--import-only]');
  process.exit(2);
}
const out: ColdStartReport = { bootMs, importMs: 0, handleMs: 0, ok: true, resultKeys: [], maxRssKB: 0 };
try {
  const t0 = performance.now();
  const mod = (await import(pathToFileURL(bundle).href)) as { handler: Handler };
  const t1 = performance.now();
  out.importMs = t1 - t0;
  if (flag !== '--import-only') {
    const result = await mod.handler(JSON.parse(eventJson) as unknown, lambdaContext(functionName));
    out.handleMs = performance.now() - t1;
    out.resultKeys = result && typeof result === 'object' ? Object.keys(result).sort() : [];
  }
} catch (error) {
  out.ok = false;
  out.error = errorSummary(error);
}
out.maxRssKB = process.resourceUsage().maxRSS;
report(out);
// Keep-alive sockets of the SDK and undici would hold the process open; Lambda freezes it instead.
process.exit(out.ok ? 0 : 1);
