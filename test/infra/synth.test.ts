/**
 * `npm run synth` (cdk synth --quiet, app `npx tsx infra/app.ts`) works offline and bundles the
 * handlers (core/names.ts FUNCTION_NAMES) for real with the local esbuild, each on its own: the
 * example config (the one-Lambda sweep engine: every function but fleet-list) and the same config
 * with the Distributed Map engine (all five), each cdk-nag clean, each environment-agnostic and in a
 * concrete account and region (CDK_DEFAULT_ACCOUNT and the region, as `cdk deploy` passes them).
 * This is the one place the suite bundles.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Environment } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../core/names.js';
import { ENVIRONMENTS, exampleConfig, REPO_ROOT } from './helpers.js';

const outdir = mkdtempSync(path.join(tmpdir(), 'tg-synth-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** The functions of the one-Lambda engine: every one but the Distributed Map's list step. */
const LAMBDA_ENGINE_FUNCTIONS = FUNCTION_NAMES.filter((n) => n !== 'fleet-list');

type SynthTemplate = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

/**
 * The CLI's environment for a stack environment. The CLI hands the app CDK_DEFAULT_ACCOUNT (when it
 * knows an account) and CDK_DEFAULT_REGION, overwriting the latter with its own default region
 * (AWS_REGION, else us-east-1): both are set for a concrete environment, and the account is unset
 * for an agnostic one (infra/app.ts then synthesizes without `env`). No instance metadata lookups.
 */
function cliEnvironment(env: Environment | undefined): NodeJS.ProcessEnv {
  const { CDK_DEFAULT_ACCOUNT: _account, CDK_DEFAULT_REGION: _region, AWS_REGION: _awsRegion, AWS_DEFAULT_REGION: _defaultRegion, ...inherited } = process.env;
  return {
    ...inherited,
    AWS_EC2_METADATA_DISABLED: 'true',
    PATH: `${path.join(REPO_ROOT, 'node_modules/.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    ...(env ? { CDK_DEFAULT_ACCOUNT: env.account, CDK_DEFAULT_REGION: env.region, AWS_REGION: env.region } : {}),
  };
}

/** `npm run synth` with extra CLI arguments; resolves the template, after checking the run, its environment, cdk-nag and the bundles. */
function synthWithCli(out: string, extraArgs: string[], functions: readonly string[], env: Environment | undefined, timeoutMs = 170_000): SynthTemplate {
  const started = Date.now();
  // npm puts node_modules/.bin first on PATH, so `cdk`, `npx tsx` and `node` are the project's (Node 22).
  const run = spawnSync('npm', ['run', 'synth', '--', '--output', out, ...extraArgs], { cwd: REPO_ROOT, encoding: 'utf8', timeout: timeoutMs, env: cliEnvironment(env) });
  const output = `${run.stdout}\n${run.stderr}`;
  if (/Cloud assembly schema version mismatch/.test(output)) {
    throw new Error(
      'The installed aws-cdk CLI cannot read the cloud assembly aws-cdk-lib writes. aws-cdk 3.0.0 (npm "latest") is older ' +
        'than the 2.1148.x line and reads schema 43 only; aws-cdk-lib 2.276 writes schema 55. Pin devDependencies.aws-cdk to ' +
        `"^2.1148.1" in package.json.\n${output.slice(-1500)}`,
    );
  }
  expect(run.status, output.slice(-4000)).toBe(0);
  console.log(`npm run synth ${extraArgs.join(' ')} (${env ? `${env.account}/${env.region}` : 'environment-agnostic'}) took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { environment?: string }> };
  expect(manifest.artifacts.TgTokenRotation!.environment).toBe(env ? `aws://${env.account}/${env.region}` : 'aws://unknown-account/unknown-region');
  const templatePath = path.join(out, 'TgTokenRotation.template.json');
  expect(existsSync(templatePath)).toBe(true);
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as SynthTemplate;
  const fns = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  expect(fns.map((f) => (f.Properties.Environment as { Variables: Record<string, string> }).Variables.POWERTOOLS_SERVICE_NAME).sort()).toEqual(
    functions.map((n) => `tg-token-rotation-${n}`).sort(),
  );
  // cdk-nag ran as a validation plugin and found nothing (a finding fails the synth).
  const report = JSON.parse(readFileSync(path.join(out, 'validation-report.json'), 'utf8')) as { pluginReports: Array<{ violations?: unknown[] }> };
  expect(report.pluginReports.flatMap((p) => p.violations ?? [])).toEqual([]);
  // One bundled asset per handler: an ESM index.mjs with the require shim, SDK included, and no source map (sourceMaps is off by default).
  const assets = readdirSync(out).filter((d) => d.startsWith('asset.'));
  expect(assets).toHaveLength(functions.length);
  for (const asset of assets) {
    expect(readdirSync(path.join(out, asset)).sort()).toEqual(['index.mjs']);
    const code = readFileSync(path.join(out, asset, 'index.mjs'), 'utf8');
    expect(code).not.toContain('sourceMappingURL');
    expect(code.startsWith("import { createRequire } from 'module'; const require = createRequire(import.meta.url);")).toBe(true);
    expect(code).toContain('secretsmanager'); // @aws-sdk/client-secrets-manager is bundled, not external
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
  }
  return template;
}

describe.each(ENVIRONMENTS)('npm run synth (%s)', (name, env) => {
  const dir = (what: string) => path.join(outdir, `${what}-${name.replace(/\W+/g, '-')}`);

  it('synthesizes the example config offline into a cloud assembly with bundled ESM handlers', { timeout: 180_000 }, () => {
    const template = synthWithCli(dir('example-out'), [], LAMBDA_ENGINE_FUNCTIONS, env);
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')).toHaveLength(0);
    expect(Object.values(template.Resources).filter((r) => r.Type === 'Custom::TokenSecretSettings')).toHaveLength(3);
  });

  it('synthesizes the example config with sweepEngine "distributed-map": five bundled handlers, the state machine and its bucket, cdk-nag clean', { timeout: 300_000 }, () => {
    const configPath = `${dir('distributed-map')}.json`;
    writeFileSync(configPath, JSON.stringify({ ...exampleConfig(), sweepEngine: 'distributed-map', distributedMap: { batchSize: 500 } }));
    const out = dir('distributed-map-out');
    // Five bundles instead of four; on a busy machine this synth has taken close to three minutes.
    const template = synthWithCli(out, ['-c', `config=${configPath}`], FUNCTION_NAMES, env, 290_000);
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types.filter((t) => t === 'AWS::StepFunctions::StateMachine')).toHaveLength(1);
    expect(types.filter((t) => t === 'AWS::S3::Bucket')).toHaveLength(1);
    const [machine] = Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
    expect(JSON.stringify(machine!.Properties.DefinitionString)).toContain('\\"batchSize\\":500');
    // The S3 client only in the list step's bundle (lib-storage's multipart upload): the map worker
    // reads the holders index with one signed GET (functions/lib/s3-object.ts), no SDK client.
    const withS3 = readdirSync(out)
      .filter((d) => d.startsWith('asset.'))
      .filter((d) => readFileSync(path.join(out, d, 'index.mjs'), 'utf8').includes('CreateMultipartUpload'));
    expect(withS3).toHaveLength(1);
    const withUpload = withS3.filter((d) => readFileSync(path.join(out, d, 'index.mjs'), 'utf8').includes('leavePartsOnError'));
    expect(withUpload).toHaveLength(1);
  });
});

describe('the CDK app', () => {
  it('selects the config with -c config=path and fails with the field named when it is invalid', { timeout: 60_000 }, () => {
    const bad = path.join(outdir, 'bad-config.json');
    writeFileSync(bad, JSON.stringify({ connections: [{ name: 'prod', host: 'https://tg.example.com', tigergraphVersion: '5', rotationIntervalHours: 1 }] }));
    // What the CLI does for `cdk synth -c config=...`: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR.
    const run = spawnSync(path.join(REPO_ROOT, 'node_modules/.bin/tsx'), ['infra/app.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ config: bad }), CDK_OUTDIR: path.join(outdir, 'bad-out') },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`Invalid config file ${bad}:`);
    expect(run.stderr).toContain('connections[0].tigergraphVersion: expected one of "3", "4", "auto"');
    expect(run.stderr).toContain("connections[0].rotationIntervalHours: expected at least 4 hours (Secrets Manager's minimum), got 1 hours");
  });
});
