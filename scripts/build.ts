/**
 * `npm run build`: the construct package in dist/ (what `npm pack` ships, package.json `files`).
 * The consumer package (consumer/, a workspace) has its own: scripts/build-consumer.ts.
 *
 *   dist/infra/construct.js + .d.ts      the CDK construct (package.json exports ".")
 *   dist/core/...                        what it imports
 *   dist/lambda/<name>/index.mjs (+.map) each Lambda function of core/names.ts FUNCTION_NAMES, bundled
 *                                        from functions/<name>/handler.ts with the deployed settings
 *                                        and its source map (infra/bundling.ts esbuildOptionsFor with
 *                                        LAMBDA_BUNDLING_WITH_SOURCE_MAPS, as NodejsFunction does);
 *                                        the construct deploys the map only with `sourceMaps: true`
 *
 * The JavaScript and declarations come from tsc with tsconfig.build.json. An installed construct
 * has neither the TypeScript handlers nor esbuild: infra/functions.ts then deploys the prebuilt
 * bundles as plain assets. dist/ is emptied first, so nothing stale ships.
 *
 *   npm run build
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { build } from 'esbuild';
import { FUNCTION_NAMES } from '../core/names.js';
import { esbuildOptionsFor, functionEntry, LAMBDA_BUNDLING, LAMBDA_BUNDLING_WITH_SOURCE_MAPS, PROJECT_ROOT, prebuiltBundleDir } from '../infra/bundling.js';

const DIST = path.join(PROJECT_ROOT, 'dist');

const started = Date.now();
rmSync(DIST, { recursive: true, force: true });

// 1. JavaScript and .d.ts of the package's entries and everything they import.
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(PROJECT_ROOT, 'tsconfig.build.json')], { cwd: PROJECT_ROOT, stdio: 'inherit' });
if (compiled.status !== 0) {
  console.error(`tsc -p tsconfig.build.json failed (exit ${compiled.status ?? compiled.signal})`);
  process.exit(1);
}

// 2. One bundle per function, whatever FUNCTION_NAMES lists.
const missing = FUNCTION_NAMES.filter((name) => !existsSync(functionEntry(name)));
if (missing.length > 0) {
  console.error(`core/names.ts FUNCTION_NAMES lists ${missing.join(', ')}, but ${missing.map((n) => `functions/${n}/handler.ts`).join(', ')} does not exist`);
  process.exit(1);
}
await Promise.all(
  FUNCTION_NAMES.map((name) => build(esbuildOptionsFor(functionEntry(name), path.join(prebuiltBundleDir(name, DIST), LAMBDA_BUNDLING.outFile), LAMBDA_BUNDLING_WITH_SOURCE_MAPS))),
);

const kB = (bytes: number) => `${(bytes / 1024).toFixed(0)} kB`;
for (const name of FUNCTION_NAMES) {
  const dir = prebuiltBundleDir(name, DIST);
  const files = readdirSync(dir).sort();
  console.log(`dist/lambda/${name}: ${files.map((f) => `${f} ${kB(statSync(path.join(dir, f)).size)}`).join(', ')}`);
}
console.log(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
