/**
 * The package as CDK and Lambda users get it: `npm run build`, `npm pack`, then `npm install` of
 * the tarball into a fresh project that has aws-cdk-lib and constructs as its own dependencies.
 * In that project, with plain Node (no TypeScript sources, no tsx, no esbuild):
 *   - a CDK app in ESM JavaScript synthesizes with the construct, deploying the prebuilt bundles;
 *   - a script reads a token through the consumer library from the local stack's endpoint;
 *   - the entries' types resolve for a TypeScript user, and CommonJS can require() them (Node 22).
 * npm works from the cache `npm ci` filled (--prefer-offline); the registry is only a fallback.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, serviceName } from '../../core/names.js';
import { LOCAL_CREDENTIALS, startLocalStack, type LocalStack } from '../../local/stack.js';
import { WHOLE_TOKEN } from '../local/run-npm.js';
import { childEnv, describeRun, REPO_ROOT, resourcesOfType, run, seconds, serviceNameOf, type RunResult, type Template } from './helpers.js';

const FIXTURES = path.join(REPO_ROOT, 'test/package/fixtures');
const PACKAGE = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, string | { types: string; default: string }>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const installedVersion = (name: string) => (JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** What `npm pack --json` reports. */
interface PackReport {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: Array<{ path: string; size: number }>;
}

const work = mkdtempSync(path.join(tmpdir(), 'tg-package-'));
const project = path.join(work, 'project');
const timings: Record<string, number> = {};
let pack: PackReport;
let stack: LocalStack | undefined;
let secretId: string;
let token: string;
// Started at the end of beforeAll and awaited by the tests, so they run side by side.
let synth: Promise<RunResult>;
let typecheck: Promise<RunResult>;
let consumer: Promise<RunResult>;

/** A TypeScript user's file: every entry, the construct's props types, the consumer's. */
const TYPES_CHECK = `
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DEFAULT_SETTINGS_PARAMETER, TigerGraphTokenRotation, TokenRotation, type ConnectionProps, type ManagedConnection, type ProviderName, type TokenRotationProps } from 'tg-token-rotation';
import { createTokenSource, tokenFetch, withToken, TokenRefusedError, type TokenInfo, type TokenSource } from 'tg-token-rotation/consumer';
import { tokenSourceMiddleware, type ContextWithTokenSource } from 'tg-token-rotation/consumer/middy';

const provider: ProviderName = 'ica';
const connections: ConnectionProps[] = [{ name: 'genomics', provider, host: 'https://ica.illumina.com', lifetimeSeconds: 43200, rotationInterval: Duration.hours(8) }];
const props: TokenRotationProps = { connections, scheduleRate: Duration.hours(1), minSecondsToExpiryAlarmThreshold: Duration.hours(1), settingsParameterName: DEFAULT_SETTINGS_PARAMETER };
const rotation: TokenRotation = new TigerGraphTokenRotation(new Stack(new App(), 'S'), 'R', props);
const managed: ManagedConnection = rotation.connections[0]!;
const grant: iam.Grant = rotation.grantReadToken(new iam.AccountRootPrincipal(), managed.name);

const source: TokenSource = createTokenSource({ secretId: 'x', maxAgeMs: 60_000 });
const info: Promise<TokenInfo> = source.get();
const fetched: Promise<Response> = tokenFetch(source)('/echo');
const viaClient: Promise<string> = withToken(source, async (i: TokenInfo) => i.baseUrl);
const refused: boolean = new Error() instanceof TokenRefusedError;
const middleware = tokenSourceMiddleware({ secretId: 'x' });
const fromContext = (context: ContextWithTokenSource): TokenSource => context.tokenSource;
export { grant, info, fetched, viaClient, refused, middleware, fromContext };
`;

beforeAll(async () => {
  const started = Date.now();
  // The local stack (in this process) comes up while the package builds.
  const localStack = (async () => {
    stack = await startLocalStack();
    secretId = await stack.createTokenSecret('package-test/tigergraph', { version: 4 });
    const current = await stack.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
    token = (JSON.parse(current.SecretString as string) as { token: string }).token;
  })();
  localStack.catch(() => undefined); // awaited below; a failed build must not leave it unhandled

  const built = await run('npm', ['run', 'build'], { cwd: REPO_ROOT, timeoutMs: 150_000 });
  timings.build = built.ms;
  expect(built.code, describeRun(built)).toBe(0);

  const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: REPO_ROOT, timeoutMs: 60_000 });
  timings.pack = packed.ms;
  expect(packed.code, describeRun(packed)).toBe(0);
  pack = (JSON.parse(packed.stdout) as PackReport[])[0]!;

  // A CDK user's project: ESM, aws-cdk-lib and constructs of its own (the versions this repository
  // tests with, so npm finds them in its cache), then the tarball.
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'tg-token-rotation-user', version: '1.0.0', private: true, type: 'module' }, null, 2));
  const installed = await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', `aws-cdk-lib@${installedVersion('aws-cdk-lib')}`, `constructs@${installedVersion('constructs')}`, path.join(work, pack.filename)],
    { cwd: project, timeoutMs: 150_000 },
  );
  timings.install = installed.ms;
  expect(installed.code, describeRun(installed)).toBe(0);

  for (const f of ['cdk-app.mjs', 'consumer.mjs']) copyFileSync(path.join(FIXTURES, f), path.join(project, f));
  writeFileSync(path.join(project, 'check.ts'), TYPES_CHECK);
  writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2023', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023', 'DOM'], types: [], strict: true, noEmit: true, skipLibCheck: true },
      files: ['check.ts'],
    }),
  );

  synth = run(process.execPath, ['cdk-app.mjs', path.join(project, 'cdk.out')], { cwd: project, timeoutMs: 120_000 });
  typecheck = run(process.execPath, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: project, timeoutMs: 120_000 });
  await localStack;
  consumer = run(process.execPath, ['consumer.mjs'], {
    cwd: project,
    timeoutMs: 60_000,
    env: childEnv({
      TOKEN_SECRET_ID: secretId,
      AWS_ENDPOINT_URL: stack!.aws.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      // The local stack's fakes speak plain HTTP: allowed only in an explicitly local process.
      TG_TOKEN_ROTATION_LOCAL: 'true',
    }),
  });
  timings.setup = Date.now() - started;
}, 330_000);

afterAll(async () => {
  // Every child has finished before the directory goes (a test that failed early may not have awaited them).
  await Promise.allSettled([synth, typecheck, consumer]);
  await stack?.close();
  const removing = Date.now();
  rmSync(work, { recursive: true, force: true }); // aws-cdk-lib is some 30 000 files
  timings.cleanup = Date.now() - removing;
  console.log(`package test: ${Object.entries(timings).map(([k, v]) => `${k} ${seconds(v)}`).join(', ')}`);
}, 120_000);

describe('npm pack', () => {
  it('ships the built JavaScript, its types and the prebuilt functions, and no sources', () => {
    const files = pack.files.map((f) => f.path).sort();
    console.log(`tarball ${pack.filename}: ${(pack.size / 1024).toFixed(0)} kB packed, ${(pack.unpackedSize / 1024).toFixed(0)} kB unpacked, ${pack.entryCount} files`);

    // Every export target is in it.
    for (const target of Object.values(PACKAGE.exports)) {
      for (const file of typeof target === 'string' ? [target] : [target.types, target.default]) expect(files).toContain(file.replace(/^\.\//, ''));
    }
    // One prebuilt bundle (and its source map) per function FUNCTION_NAMES lists.
    for (const name of FUNCTION_NAMES) expect(files).toEqual(expect.arrayContaining([`dist/lambda/${name}/index.mjs`, `dist/lambda/${name}/index.mjs.map`]));
    expect(files.filter((f) => f.startsWith('dist/lambda/'))).toHaveLength(2 * FUNCTION_NAMES.length);
    // Only dist/ and what npm always adds: no TypeScript sources, tests, local stack or benchmarks.
    expect(files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /^dist\/(functions|local|bench|test)\//.test(f))).toEqual([]);
    expect(pack.size).toBeLessThan(5 * 1024 * 1024);
  });

  it('installs with its runtime dependencies only: what the Lambda bundles contain stays out', () => {
    const has = (name: string) => existsSync(path.join(project, 'node_modules', name, 'package.json'));
    for (const name of Object.keys(PACKAGE.dependencies)) expect(has(name), name).toBe(true);
    expect(has('aws-cdk-lib') && has('constructs')).toBe(true);
    // Build-time only: bundled into dist/lambda, or tooling.
    for (const name of ['@aws-lambda-powertools/logger', '@middy/ssm', '@aws-sdk/client-cloudformation', '@aws-sdk/client-eventbridge', 'p-limit', 'esbuild', 'typescript', 'tsx']) expect(has(name), name).toBe(false);
    // Optional peer of tg-token-rotation/consumer/middy: not installed unless the app uses middy.
    expect(has('@middy/core')).toBe(false);
  });
});

describe('in a fresh project, with plain Node', () => {
  it('a CDK app in ESM JavaScript synthesizes with the construct, deploying the prebuilt function bundles', { timeout: 150_000 }, async () => {
    const result = await synth;
    timings.synth = result.ms;
    expect(result.code, describeRun(result)).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toEqual({
      managedTag: 'tg-token-rotation:managed',
      deprecatedAliasIsTheConstruct: true,
      connections: ['analytics:tigergraph', 'wrangling:trifacta', 'genomics:ica'],
    });
    // No bundling happened: nothing to bundle with (no esbuild, no TypeScript entries).
    expect(result.stdout + result.stderr).not.toMatch(/Bundling asset/);

    const outdir = path.join(project, 'cdk.out');
    const template = JSON.parse(readFileSync(path.join(outdir, 'UserStack.template.json'), 'utf8')) as Template;
    expect(resourcesOfType(template, 'Custom::TokenSecretSettings')).toHaveLength(3);
    expect(resourcesOfType(template, 'AWS::S3::Bucket')).toHaveLength(1);

    // Every function is one of FUNCTION_NAMES, deployed from the installed package's
    // dist/lambda/<name> byte for byte (which is what `npm run build` made here).
    const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
    const installedDist = path.join(project, 'node_modules/tg-token-rotation/dist/lambda');
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.map((fn) => serviceNameOf(fn.Properties))).toContain(serviceName('rotation'));
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs22.x', Architectures: ['arm64'] });
      const name = FUNCTION_NAMES.find((n) => serviceName(n) === serviceNameOf(fn.Properties));
      expect(name, JSON.stringify(fn.Properties.Environment)).toBeDefined();
      // DefaultStackSynthesizer: S3Key "<hash>.zip" is the directory cdk.out/asset.<hash>.
      const asset = path.join(outdir, `asset.${(fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '')}`);
      expect(readdirSync(asset).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      expect(sha(path.join(asset, 'index.mjs')), name).toBe(sha(path.join(installedDist, name!, 'index.mjs')));
      expect(sha(path.join(installedDist, name!, 'index.mjs')), name).toBe(sha(path.join(REPO_ROOT, 'dist/lambda', name!, 'index.mjs')));
    }

    // grantReadToken: the app's role reads the one token secret.
    const [, appPolicy] = resourcesOfType(template, 'AWS::IAM::Policy').find(([id]) => id.startsWith('AppRole'))!;
    const statements = (appPolicy.PolicyDocument as { Statement: Array<{ Action: string | string[] }> }).Statement;
    expect(statements.map((s) => s.Action)).toEqual([['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], 'kms:Decrypt']);
  });

  it('a script reads the token through the consumer library from the local endpoint, and prints no token', { timeout: 150_000 }, async () => {
    const result = await consumer;
    timings.consumer = result.ms;
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual(['provider: tigergraph', 'token read: yes', 'GET /echo: 200', 'middy middleware: tokenSource, before function']);
    expect(result.stdout + result.stderr).not.toContain(token);
    expect(result.stdout + result.stderr).not.toMatch(WHOLE_TOKEN);
  });

  it("a TypeScript user's imports of every entry type-check against the installed .d.ts", { timeout: 150_000 }, async () => {
    const result = await typecheck;
    timings.typecheck = result.ms;
    expect(result.code, describeRun(result)).toBe(0);
  });

  it('CommonJS can require() every entry (Node 22 loads ES modules synchronously)', { timeout: 150_000 }, async () => {
    const entries = Object.keys(PACKAGE.exports).map((e) => `${PACKAGE.name}${e.slice(1)}`);
    const script = `for (const e of ${JSON.stringify(entries)}) { const m = require(e); if (Object.keys(m).length === 0) throw new Error(e + ' exports nothing'); }`;
    const result = await run(process.execPath, ['-e', script], { cwd: project, timeoutMs: 60_000 });
    expect(result.code, describeRun(result)).toBe(0);
  });

  it("a Lambda app bundling the consumer gets the consumer library only (the runtime's AWS SDK left out)", async () => {
    const result = await build({
      absWorkingDir: project,
      entryPoints: [path.join(project, 'consumer.mjs')],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      minify: true,
      external: ['@aws-sdk/*'],
      metafile: true,
      logLevel: 'error',
    });
    const bytes = result.outputFiles[0]!.contents.byteLength;
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => i !== 'consumer.mjs' && !/^node_modules\/tg-token-rotation\/dist\/(consumer|core)\//.test(i))).toEqual([]);
    expect(bytes).toBeLessThan(24 * 1024);
    console.log(`consumer bundled from the installed package: ${(bytes / 1024).toFixed(1)} kB minified`);
  });
});
