/**
 * How each Lambda function is bundled: one source of truth for the CDK construct (NodejsFunction
 * `bundling`) and for anything that must build the same bytes outside a synth (the bundle-size
 * and cold-start benchmarks in bench/).
 *
 * NodejsFunction turns these props into one esbuild CLI call, run from the project root:
 *   esbuild --bundle <root>/functions/<name>/handler.ts --target=node22 --platform=node
 *     --format=esm --outfile=<asset>/index.mjs --minify --banner:js=<banner>
 *     --main-fields=module,main
 * (plus --sourcemap with LAMBDA_BUNDLING_WITH_SOURCE_MAPS: the construct's `sourceMaps` prop)
 * (no --external: the AWS SDK is bundled too), and --define:TG_PROVIDER_<NAME>=true|false for a
 * deployment that names its providers (core/providers/bundled.ts: a family no connection uses is
 * left out). `esbuildOptionsFor` is the same call through
 * esbuild's JS API. The construct can consume the constant as
 *   bundling: { ...cdkBundlingProps(), format: OutputFormat.ESM, forceDockerBundling: false }
 * (`format` stays in the construct because OutputFormat is a runtime enum of aws-cdk-lib; its
 * value is the string in LAMBDA_BUNDLING.format).
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { providerDefines } from '../core/providers/bundled.js';

/** The project root: NodejsFunction's `projectRoot`, and esbuild's working directory. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface LambdaBundling {
  /** NodejsFunction `format` (OutputFormat.ESM === 'esm'). */
  readonly format: 'esm';
  /** NodejsFunction always passes --platform=node. */
  readonly platform: 'node';
  /** Matches the runtime (nodejs22.x). */
  readonly target: string;
  readonly minify: boolean;
  /**
   * A linked `index.mjs.map` (NODE_OPTIONS=--enable-source-maps reads it). Off by default: a map is
   * 1.7 times the code it maps and slows every cold start that reads it (bench/RESULTS.md section 2);
   * the construct's `sourceMaps` prop deploys it.
   */
  readonly sourceMap: boolean;
  /**
   * false: the map still maps stack traces to file:line (NODE_OPTIONS=--enable-source-maps), but does
   * not embed the sources, which are not needed at runtime and make the map ~3x larger and every
   * cold start's map parse slower. (NodejsFunction's default is true.)
   */
  readonly sourcesContent: boolean;
  /** Prefer the ESM entry of packages that ship both. */
  readonly mainFields: readonly string[];
  /** Empty: the AWS SDK is bundled (a pinned version, tree-shaken) rather than taken from the runtime. */
  readonly externalModules: readonly string[];
  /** ESM bundles still meet CommonJS dependencies that call require(). */
  readonly banner: string;
  /** The file NodejsFunction writes for ESM output. */
  readonly outFile: string;
}

/** What the construct deploys by default. */
export const LAMBDA_BUNDLING: LambdaBundling = Object.freeze({
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minify: true,
  sourceMap: false,
  sourcesContent: false,
  mainFields: Object.freeze(['module', 'main']),
  externalModules: Object.freeze([]),
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  outFile: 'index.mjs',
});

/**
 * With the construct's `sourceMaps: true`; also what `npm run build` prebuilds (dist/lambda/<name>/
 * index.mjs and its map), so that the installed package can deploy either: the map is left out of
 * the asset unless it is asked for, and then index.mjs's `sourceMappingURL` comment is unused.
 */
export const LAMBDA_BUNDLING_WITH_SOURCE_MAPS: LambdaBundling = Object.freeze({ ...LAMBDA_BUNDLING, sourceMap: true });

/** The bundling of a deployment with or without source maps. */
export function lambdaBundling(sourceMaps: boolean): LambdaBundling {
  return sourceMaps ? LAMBDA_BUNDLING_WITH_SOURCE_MAPS : LAMBDA_BUNDLING;
}

/**
 * The NodejsFunction `bundling` props other than `format` and `forceDockerBundling` (see the header).
 * `providers`: the provider names the deployment's connections use; undefined bundles every family.
 */
export function cdkBundlingProps(
  bundling: LambdaBundling = LAMBDA_BUNDLING,
  providers?: readonly string[],
): {
  target: string;
  minify: boolean;
  sourceMap: boolean;
  sourcesContent: boolean;
  mainFields: string[];
  externalModules: string[];
  banner: string;
  define?: Record<string, string>;
} {
  const define = providerDefines(providers);
  return {
    ...(define ? { define } : {}),
    target: bundling.target,
    minify: bundling.minify,
    sourceMap: bundling.sourceMap,
    sourcesContent: bundling.sourcesContent,
    mainFields: [...bundling.mainFields],
    externalModules: [...bundling.externalModules],
    banner: bundling.banner,
  };
}

/**
 * Where `npm run build` (scripts/build.ts) puts function `name`'s prebuilt bundle (index.mjs and its
 * map, built with `esbuildOptionsFor`): `<root>/lambda/<name>/`. `root` defaults to the directory
 * above this module's, so from the installed package's dist/infra/bundling.js it is dist/lambda/<name>
 * (and in a checkout, lambda/<name>, which does not exist: the construct bundles the TypeScript).
 */
export function prebuiltBundleDir(name: string, root: string = PROJECT_ROOT): string {
  return path.join(root, 'lambda', name);
}

/** Entry of one function, as the construct names it: functions/<name>/handler.ts. */
export function functionEntry(name: string): string {
  return path.join(PROJECT_ROOT, 'functions', name, 'handler.ts');
}

/**
 * esbuild JS API options equivalent to the CLI call NodejsFunction makes for `entry` (with
 * `providers`, for a deployment whose connections use only those). `outfile`
 * defaults to index.mjs in the current directory; pass one inside a per-function directory so the
 * `sourceMappingURL` comment (and so the bytes) match the asset's.
 */
export function esbuildOptionsFor(entry: string, outfile?: string, bundling: LambdaBundling = LAMBDA_BUNDLING, providers?: readonly string[]): BuildOptions {
  const define = providerDefines(providers);
  return {
    ...(define ? { define } : {}),
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [path.resolve(PROJECT_ROOT, entry)],
    bundle: true,
    outfile: outfile ?? path.resolve(bundling.outFile),
    platform: bundling.platform,
    format: bundling.format,
    target: bundling.target,
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    sourcesContent: bundling.sourcesContent,
    mainFields: [...bundling.mainFields],
    external: [...bundling.externalModules],
    banner: { js: bundling.banner },
    logLevel: 'warning',
  };
}
