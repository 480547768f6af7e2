/**
 * infra/bundling.ts is what the benchmarks build with, so its esbuild options must produce the
 * bytes NodejsFunction produces from the same settings. One tiny CDK app bundles the bench's
 * baseline handler with `cdkBundlingProps()` (format ESM); esbuild's JS API builds the same entry
 * with `esbuildOptionsFor`; the two index.mjs files must be identical.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { cdkBundlingProps, esbuildOptionsFor, functionEntry, LAMBDA_BUNDLING, LAMBDA_BUNDLING_WITH_SOURCE_MAPS, PROJECT_ROOT } from '../../infra/bundling.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'tg-bundling-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('infra/bundling.ts', () => {
  it('describes the deployed bundling: ESM for node22, minified, no source map unless asked, nothing external, the require shim', () => {
    expect(LAMBDA_BUNDLING).toMatchObject({ format: 'esm', platform: 'node', target: 'node22', minify: true, sourceMap: false, outFile: 'index.mjs' });
    expect(LAMBDA_BUNDLING_WITH_SOURCE_MAPS).toEqual({ ...LAMBDA_BUNDLING, sourceMap: true });
    expect(LAMBDA_BUNDLING.externalModules).toEqual([]);
    expect(LAMBDA_BUNDLING.mainFields).toEqual(['module', 'main']);
    expect(LAMBDA_BUNDLING.banner).toContain('createRequire(import.meta.url)');
    expect(functionEntry('rotation')).toBe(path.join(PROJECT_ROOT, 'functions', 'rotation', 'handler.ts'));
    const options = esbuildOptionsFor(functionEntry('on-demand'), '/tmp/x/index.mjs');
    expect(options).toMatchObject({ bundle: true, platform: 'node', format: 'esm', target: 'node22', minify: true, sourcemap: false, external: [], absWorkingDir: PROJECT_ROOT });
    expect(esbuildOptionsFor(functionEntry('on-demand'), '/tmp/x/index.mjs', LAMBDA_BUNDLING_WITH_SOURCE_MAPS)).toMatchObject({ sourcemap: true, sourcesContent: false });
    expect(options.banner).toEqual({ js: LAMBDA_BUNDLING.banner });
  });

  it('builds byte-for-byte what NodejsFunction builds from the same settings, with and without the source map, and for one provider family', { timeout: 180_000 }, async () => {
    const [{ App, Stack }, lambda, { NodejsFunction, OutputFormat }] = await Promise.all([
      import('aws-cdk-lib'),
      import('aws-cdk-lib/aws-lambda'),
      import('aws-cdk-lib/aws-lambda-nodejs'),
    ]);
    expect(OutputFormat.ESM).toBe(LAMBDA_BUNDLING.format);
    const baseline = path.join(PROJECT_ROOT, 'bench', 'baseline', 'handler.ts');
    // The provider variant bundles a function (the baseline has no registry for the define to act on).
    for (const [variant, bundling, entry, providers] of [
      ['default', LAMBDA_BUNDLING, baseline, undefined],
      ['source-maps', LAMBDA_BUNDLING_WITH_SOURCE_MAPS, baseline, undefined],
      ['tigergraph-only', LAMBDA_BUNDLING, functionEntry('rotation'), ['tigergraph']],
    ] as const) {
      const app = new App({ outdir: path.join(scratch, variant, 'cdk.out') });
      const stack = new Stack(app, 'BundlingCheck');
      new NodejsFunction(stack, 'Baseline', {
        entry,
        handler: 'handler',
        projectRoot: PROJECT_ROOT,
        depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
        runtime: lambda.Runtime.NODEJS_22_X,
        bundling: { ...cdkBundlingProps(bundling, providers), format: OutputFormat.ESM, forceDockerBundling: false },
      });
      const assembly = app.synth();
      const assets = readdirSync(assembly.directory).filter((d) => d.startsWith('asset.'));
      expect(assets).toHaveLength(1);
      const assetDir = path.join(assembly.directory, assets[0] as string);
      expect(readdirSync(assetDir).sort()).toEqual(bundling.sourceMap ? ['index.mjs', 'index.mjs.map'] : ['index.mjs']);
      const cdkOut = readFileSync(path.join(assetDir, 'index.mjs'));

      const outfile = path.join(scratch, variant, 'api', LAMBDA_BUNDLING.outFile);
      await build(esbuildOptionsFor(entry, outfile, bundling, providers));
      const apiOut = readFileSync(outfile);
      expect(apiOut.length, variant).toBe(cdkOut.length);
      expect(apiOut.equals(cdkOut), variant).toBe(true);
    }
  });
});
