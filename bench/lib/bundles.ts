/**
 * Builds what the bench runs: each function and the baseline handler exactly as the CDK app
 * bundles them (infra/bundling.ts), and the child-process scripts (bench/child/*.ts) as plain
 * Node ESM so a child starts without a TypeScript loader.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { esbuildOptionsFor, functionEntry, LAMBDA_BUNDLING, LAMBDA_BUNDLING_WITH_SOURCE_MAPS } from '../../infra/bundling.js';
import { FUNCTION_NAMES, type FunctionName } from '../../core/names.js';
import { BENCH_DIR } from './options.js';

export { FUNCTION_NAMES, type FunctionName };
/**
 * 'baseline': one GetSecretValue with the bare SDK (bundle size and cold start are stated against
 * it); 'baseline-fleet': the sweep's Secrets Manager calls with the bare SDK (the sweep's baselines).
 */
export type BaselineName = 'baseline' | 'baseline-fleet';
export type BundleName = FunctionName | BaselineName;
export const BASELINE_NAMES: readonly BaselineName[] = ['baseline', 'baseline-fleet'];

export interface BuiltBundle {
  name: BundleName;
  entry: string;
  /** Absolute path of index.mjs. */
  file: string;
  /** Minified JS, without the source map. */
  bytes: number;
  mapBytes: number;
  /** esbuild's metafile for this one output (inputs with bytesInOutput). */
  inputs: Metafile['outputs'][string]['inputs'];
  buildMs: number;
}

export type Bundles = Record<BundleName, BuiltBundle>;

export const BASELINE_ENTRY = path.join(BENCH_DIR, 'baseline', 'handler.ts');
export const BASELINE_FLEET_ENTRY = path.join(BENCH_DIR, 'baseline', 'fleet-sdk.ts');

function entryOf(name: BundleName): string {
  if (name === 'baseline') return BASELINE_ENTRY;
  if (name === 'baseline-fleet') return BASELINE_FLEET_ENTRY;
  return functionEntry(name);
}

/**
 * `providers`: as a deployment whose connections use only those (infra/bundling.ts); undefined:
 * every provider family, as the prebuilt bundles and a tag-discovery deployment carry.
 */
export async function buildBundle(name: BundleName, workDir: string, providers?: readonly string[]): Promise<BuiltBundle> {
  const outDir = path.join(workDir, 'bundles', providers ? `${name}--${providers.join('+')}` : name);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const outfile = path.join(outDir, LAMBDA_BUNDLING.outFile);
  const started = performance.now();
  // With the map (a `sourceMaps: true` deployment's bundle): its size is reported beside the code's, and cold-start compares imports with and without it.
  const result = await build({ ...esbuildOptionsFor(entryOf(name), outfile, LAMBDA_BUNDLING_WITH_SOURCE_MAPS, providers), metafile: true, write: true });
  const buildMs = performance.now() - started;
  const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('.mjs'));
  if (!output) throw new Error(`esbuild produced no .mjs for ${name}`);
  const [bytes, mapBytes] = await Promise.all([stat(outfile).then((s) => s.size), stat(`${outfile}.map`).then((s) => s.size)]);
  return { name, entry: entryOf(name), file: outfile, bytes, mapBytes, inputs: output[1].inputs, buildMs };
}

const cache = new Map<string, Promise<Bundles>>();

/** Every function and baseline bundle, built once per work directory per bench run (sequentially: 2 cores). */
export function buildAllBundles(workDir: string): Promise<Bundles> {
  let pending = cache.get(workDir);
  if (!pending) {
    pending = (async () => {
      const out: Partial<Bundles> = {};
      for (const name of [...BASELINE_NAMES, ...FUNCTION_NAMES]) out[name] = await buildBundle(name, workDir);
      return out as Bundles;
    })();
    cache.set(workDir, pending);
  }
  return pending;
}

export const CHILD_SCRIPTS = ['cold-start', 'sweep'] as const;
export type ChildScript = (typeof CHILD_SCRIPTS)[number];

const childCache = new Map<string, Promise<Record<ChildScript, string>>>();

/** bench/child/<name>.ts compiled to <workDir>/child/<name>.mjs (its imports bundled, Node builtins external). */
export function buildChildScripts(workDir: string): Promise<Record<ChildScript, string>> {
  let pending = childCache.get(workDir);
  if (!pending) {
    pending = (async () => {
      const outDir = path.join(workDir, 'child');
      await mkdir(outDir, { recursive: true });
      const out = {} as Record<ChildScript, string>;
      for (const name of CHILD_SCRIPTS) {
        const outfile = path.join(outDir, `${name}.mjs`);
        await build({
          entryPoints: [path.join(BENCH_DIR, 'child', `${name}.ts`)],
          bundle: true,
          platform: 'node',
          format: 'esm',
          target: 'node22',
          outfile,
          logLevel: 'warning',
        });
        out[name] = outfile;
      }
      return out;
    })();
    childCache.set(workDir, pending);
  }
  return pending;
}

/** Package (or project directory) a metafile input path belongs to. */
export function packageOf(inputPath: string): string {
  const i = inputPath.lastIndexOf('node_modules/');
  if (i >= 0) {
    const rest = inputPath.slice(i + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? inputPath);
  }
  const parts = inputPath.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : inputPath;
}
