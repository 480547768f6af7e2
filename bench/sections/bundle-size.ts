/**
 * Section 1: bundle size of each function, built exactly as the CDK app builds it
 * (infra/bundling.ts), against a baseline handler that only reads one secret with the SDK: with
 * every provider family (the prebuilt bundles, tag discovery) and for a deployment whose
 * connections are all TigerGraph (the construct bundles only the families its connections use).
 */
import { buildAllBundles, buildBundle, FUNCTION_NAMES, packageOf, type BuiltBundle, type FunctionName } from '../lib/bundles.js';
import { goal, type Goal, type SectionResult } from '../lib/results.js';
import { ratio } from '../lib/stats.js';
import { kb, type Table } from '../lib/table.js';

export const MAX_BYTES = 500_000;
export const MAX_RATIO = 1.3;
const TOP = 8;

export interface SizeEntry {
  name: string;
  bytes: number;
  mapBytes: number;
  /** bytes / baseline bytes. */
  ratio: number;
  topPackages: Array<{ name: string; bytes: number }>;
  topModules: Array<{ path: string; bytes: number }>;
}

export interface BundleSizeData {
  bundling: 'infra/bundling.ts (esm, node22, minify, sourcemap, all deps bundled)';
  baseline: SizeEntry;
  functions: Record<FunctionName, SizeEntry>;
  /** The same functions for a deployment with TigerGraph connections only. */
  singleFamily: { providers: string[]; functions: Record<FunctionName, SizeEntry> };
}

/** The single-family deployment the section sizes beside the all-families one. */
export const SINGLE_FAMILY: readonly string[] = ['tigergraph'];

function sizeEntry(b: BuiltBundle, baselineBytes: number): SizeEntry {
  const byPackage = new Map<string, number>();
  const modules: Array<{ path: string; bytes: number }> = [];
  for (const [inputPath, info] of Object.entries(b.inputs)) {
    byPackage.set(packageOf(inputPath), (byPackage.get(packageOf(inputPath)) ?? 0) + info.bytesInOutput);
    modules.push({ path: inputPath, bytes: info.bytesInOutput });
  }
  return {
    name: b.name,
    bytes: b.bytes,
    mapBytes: b.mapBytes,
    ratio: ratio(b.bytes, baselineBytes),
    topPackages: [...byPackage.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, c) => c.bytes - a.bytes).slice(0, TOP),
    topModules: modules.sort((a, c) => c.bytes - a.bytes).slice(0, TOP),
  };
}

export async function runBundleSize(ctx: { workDir: string; log: (m: string) => void }): Promise<SectionResult<BundleSizeData>> {
  ctx.log('bundle: building baseline and functions with infra/bundling.ts');
  const bundles = await buildAllBundles(ctx.workDir);
  const baseline = sizeEntry(bundles.baseline, bundles.baseline.bytes);
  const functions = Object.fromEntries(FUNCTION_NAMES.map((n) => [n, sizeEntry(bundles[n], bundles.baseline.bytes)])) as Record<FunctionName, SizeEntry>;
  const single: Partial<Record<FunctionName, SizeEntry>> = {};
  for (const n of FUNCTION_NAMES) {
    const built = await buildBundle(n, ctx.workDir, SINGLE_FAMILY);
    single[n] = { ...sizeEntry(built, bundles.baseline.bytes), name: `${n} (${SINGLE_FAMILY.join('+')} only)` };
  }
  const singleFamily = { providers: [...SINGLE_FAMILY], functions: single as Record<FunctionName, SizeEntry> };

  const goals: Goal[] = [];
  const findings: string[] = [];
  for (const f of [...Object.values(functions), ...Object.values(singleFamily.functions)]) {
    goals.push(goal('bundle', `${f.name} bundle / baseline`, f.ratio, '<=', MAX_RATIO, 'x'));
    goals.push(goal('bundle', `${f.name} bundle bytes`, f.bytes, '<', MAX_BYTES, 'bytes'));
  }
  const worst = Object.values(functions).sort((a, b) => b.bytes - a.bytes)[0] as SizeEntry;
  if (worst.bytes >= MAX_BYTES || worst.ratio > MAX_RATIO) {
    const big = worst.topPackages.filter((p) => !p.name.startsWith('@aws-sdk/') && !p.name.startsWith('@smithy/')).slice(0, 3);
    findings.push(
      `Bundles miss the size goals (largest: ${worst.name} ${kb(worst.bytes)}, ${worst.ratio}x baseline ${kb(baseline.bytes)}). ` +
        `Largest non-SDK packages in it: ${big.map((p) => `${p.name} ${kb(p.bytes)}`).join(', ')}.`,
    );
  }

  const sizeTable: Table = {
    title: 'Bundle size (minified index.mjs, without .map; built with infra/bundling.ts)',
    columns: ['bundle', 'bytes', 'kB', 'x baseline', '.map kB', 'goal <=1.3x and <500 kB'],
    rows: [
      ['baseline (SDK GetSecretValue)', baseline.bytes, Number((baseline.bytes / 1000).toFixed(1)), 1, Number((baseline.mapBytes / 1000).toFixed(1)), '-'],
      ...[...Object.values(functions), ...Object.values(singleFamily.functions)].map((f) => [
        f.name,
        f.bytes,
        Number((f.bytes / 1000).toFixed(1)),
        f.ratio,
        Number((f.mapBytes / 1000).toFixed(1)),
        f.ratio <= MAX_RATIO && f.bytes < MAX_BYTES ? 'met' : 'MISSED',
      ]),
    ],
  };
  const packagesTable: Table = {
    title: 'Where the bytes go: top packages per bundle (esbuild metafile bytesInOutput, kB)',
    columns: ['bundle', ...Array.from({ length: TOP }, (_, i) => `#${i + 1}`)],
    rows: [baseline, ...Object.values(functions), ...Object.values(singleFamily.functions)].map((e) => [e.name, ...e.topPackages.map((p) => `${p.name} ${(p.bytes / 1000).toFixed(1)}`)]),
  };
  const modulesTable: Table = {
    title: 'Top modules (single files) per bundle, kB',
    columns: ['bundle', '#1', '#2', '#3', '#4'],
    rows: [baseline, ...Object.values(functions)].map((e) => [
      e.name,
      ...e.topModules.slice(0, 4).map((m) => `${m.path.replace(/^.*node_modules\//, '')} ${(m.bytes / 1000).toFixed(1)}`),
    ]),
  };
  return {
    data: { bundling: 'infra/bundling.ts (esm, node22, minify, sourcemap, all deps bundled)', baseline, functions, singleFamily },
    tables: [sizeTable, packagesTable, modulesTable],
    goals,
    findings,
  };
}
