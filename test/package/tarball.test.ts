/**
 * The two packages as users get them: `npm run build`, `npm pack` of the construct package and of
 * the consumer package (consumer/, a workspace), then `npm install` of the tarballs into fresh
 * projects, run with plain Node (no TypeScript sources, no tsx):
 *   - an app that only reads tokens: the consumer package alone, with the AWS SDK its peer; its
 *     installed size without the SDK; a script reading a token from the local stack's endpoint;
 *   - a CDK app with the latest aws-cdk-lib (the version this repository tests with): the CDK
 *     example synthesizes, deploying the prebuilt bundles (source maps only when asked); the
 *     consumer example (examples/consumer-lambda) runs against the local stack; every entry
 *     type-checks and can be require()d;
 *   - the same CDK app with the oldest aws-cdk-lib and constructs the construct supports
 *     (AWS_CDK_LIB_FLOOR, constructs 10.0.0): installs without ERESOLVE, synthesizes the same
 *     template, and refuses the engine that needs more, naming the version.
 * npm works from the cache `npm ci` filled (--prefer-offline; the floor versions are devDependency
 * aliases, aws-cdk-lib-floor and constructs-floor, so their tarballs are in it): the registry is
 * only a fallback for metadata a cold cache lacks.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { build, transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, serviceName } from '../../core/names.js';
import { AWS_CDK_LIB_FLOOR, DISTRIBUTED_MAP_CDK_FLOOR } from '../../infra/cdk-floor.js';
import { LOCAL_CREDENTIALS, startLocalStack, type LocalStack } from '../../local/stack.js';
import { WHOLE_TOKEN } from '../local/run-npm.js';
import { childEnv, describeRun, REPO_ROOT, resourcesOfType, run, seconds, serviceNameOf, type RunResult, type Template } from './helpers.js';

const FIXTURES = path.join(REPO_ROOT, 'test/package/fixtures');
interface Manifest {
  name: string;
  version: string;
  exports: Record<string, string | { types: string; default: string }>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
const manifest = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
const CONSTRUCT = manifest(REPO_ROOT);
const CONSUMER_DIR = path.join(REPO_ROOT, 'consumer');
const CONSUMER = manifest(CONSUMER_DIR);
const installedVersion = (name: string) => manifest(path.join(REPO_ROOT, 'node_modules', name)).version;
const FLOOR_CONSTRUCTS = '10.0.0';
/** The consumer package alone, installed, without the AWS SDK (the issue's goal). */
const CONSUMER_MAX_BYTES = 100 * 1024;

/** What `npm pack --json` reports. */
interface PackReport {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: Array<{ path: string; size: number }>;
}

const work = mkdtempSync(path.join(tmpdir(), 'tg-package-'));
const apps = { consumer: path.join(work, 'consumer-app'), latest: path.join(work, 'cdk-app'), floor: path.join(work, 'cdk-app-floor') };
const timings: Record<string, number> = {};
const packs: { construct?: PackReport; consumer?: PackReport } = {};
let stack: LocalStack | undefined;
let secretId: string;
let token: string;
// Started in beforeAll and awaited by the tests, so they run side by side.
const runs: Record<string, Promise<RunResult>> = {};

/** A TypeScript user's file in the CDK app: every entry of both packages, the construct's props types, the consumer's. */
const TYPES_CHECK = `
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DEFAULT_SETTINGS_PARAMETER, TigerGraphTokenRotation, TokenRotation, type ConnectionProps, type ManagedConnection, type ProviderName, type TokenRotationProps } from 'tg-token-rotation';
import { createTokenSource, tokenFetch, withToken, SecretReadError, TokenRefusedError, type TokenInfo, type TokenSource } from 'tg-token-rotation-consumer';
import { tokenSourceMiddleware, type ContextWithTokenSource } from 'tg-token-rotation-consumer/middy';

const provider: ProviderName = 'ica';
const connections: ConnectionProps[] = [{ name: 'genomics', provider, host: 'https://ica.illumina.com', lifetimeSeconds: 43200, rotationInterval: Duration.hours(8) }];
const props: TokenRotationProps = { connections, scheduleRate: Duration.hours(1), minSecondsToExpiryAlarmThreshold: Duration.hours(1), settingsParameterName: DEFAULT_SETTINGS_PARAMETER, sourceMaps: true };
const rotation: TokenRotation = new TigerGraphTokenRotation(new Stack(new App(), 'S'), 'R', props);
const managed: ManagedConnection = rotation.connections[0]!;
const grant: iam.Grant = rotation.grantReadToken(new iam.OrganizationPrincipal('o-a1b2c3d4e5'), managed.name);

const source: TokenSource = createTokenSource({ secretId: 'x', maxAgeMs: 60_000, readTimeoutMs: 2_000, expiryMarginMs: 10_000, versionStage: 'AWSCURRENT' });
const info: Promise<TokenInfo> = source.get();
const fetched: Promise<Response> = tokenFetch(source)('/echo');
const viaClient: Promise<string> = withToken(source, async (i: TokenInfo) => i.baseUrl);
const refused: boolean = new Error() instanceof TokenRefusedError;
const expiring: Date | undefined = (new Error() as SecretReadError).cachedExpiresAt;
const middleware = tokenSourceMiddleware({ secretId: 'x' });
const fromContext = (context: ContextWithTokenSource): TokenSource => context.tokenSource;
export { grant, info, fetched, viaClient, refused, expiring, middleware, fromContext };
`;

async function pack(dir: string, args: string[]): Promise<PackReport> {
  const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work, ...args], { cwd: dir, timeoutMs: 60_000 });
  expect(packed.code, describeRun(packed)).toBe(0);
  return (JSON.parse(packed.stdout) as PackReport[])[0]!;
}

async function buildAndPack(): Promise<void> {
  const built = await run('npm', ['run', 'build'], { cwd: REPO_ROOT, timeoutMs: 150_000 });
  expect(built.code, describeRun(built)).toBe(0);
  const consumerBuilt = await run('npm', ['run', 'build', '-w', 'consumer'], { cwd: REPO_ROOT, timeoutMs: 120_000 });
  expect(consumerBuilt.code, describeRun(consumerBuilt)).toBe(0);
  packs.construct = await pack(REPO_ROOT, []);
  packs.consumer = await pack(REPO_ROOT, ['-w', 'consumer']);
}

/** A fresh ESM project with `specs` installed from npm's cache (and the given tarballs). */
async function install(dir: string, specs: string[], label: string): Promise<void> {
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `tg-${label}`, version: '1.0.0', private: true, type: 'module' }, null, 2));
  const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...specs], { cwd: dir, timeoutMs: 240_000 });
  timings[`install ${label}`] = installed.ms;
  expect(installed.code, describeRun(installed)).toBe(0);
}

const tarball = (p: PackReport) => path.join(work, p.filename);

function stackEnv(): NodeJS.ProcessEnv {
  return childEnv({
    TOKEN_SECRET_ID: secretId,
    AWS_ENDPOINT_URL: stack!.aws.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    // The local stack's fakes speak plain HTTP: allowed only in an explicitly local process.
    TG_TOKEN_ROTATION_LOCAL: 'true',
  });
}

beforeAll(async () => {
  const started = Date.now();
  // The local stack (in this process) comes up while the packages build.
  const localStack = (async () => {
    stack = await startLocalStack();
    secretId = await stack.createTokenSecret('package-test/tigergraph', { version: 4 });
    const current = await stack.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
    token = (JSON.parse(current.SecretString as string) as { token: string }).token;
  })();
  localStack.catch(() => undefined); // awaited below; a failed build must not leave it unhandled

  await buildAndPack();
  timings.build = Date.now() - started;
  const latest = [`aws-cdk-lib@${installedVersion('aws-cdk-lib')}`, `constructs@${installedVersion('constructs')}`];
  await install(apps.consumer, [tarball(packs.consumer!)], 'consumer-only');
  await install(apps.latest, [...latest, `@middy/core@${installedVersion('@middy/core')}`, tarball(packs.construct!), tarball(packs.consumer!)], 'cdk-latest');
  await install(apps.floor, [`aws-cdk-lib@${AWS_CDK_LIB_FLOOR}`, `constructs@${FLOOR_CONSTRUCTS}`, tarball(packs.construct!)], 'cdk-floor');

  for (const [dir, files] of [
    [apps.consumer, ['consumer.mjs']],
    [apps.latest, ['cdk-app.mjs', 'invoke-example.mjs']],
    [apps.floor, ['cdk-app.mjs']],
  ] as const) {
    for (const f of files) copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
  }
  // The consumer example as its author wrote it, compiled to JavaScript (its imports unchanged).
  const example = await transform(readFileSync(path.join(REPO_ROOT, 'examples/consumer-lambda/handler.ts'), 'utf8'), { loader: 'ts', format: 'esm', target: 'node22' });
  writeFileSync(path.join(apps.latest, 'handler.mjs'), example.code);
  writeFileSync(path.join(apps.latest, 'check.ts'), TYPES_CHECK);
  writeFileSync(
    path.join(apps.latest, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2023', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023', 'DOM'], types: [], strict: true, noEmit: true, skipLibCheck: true },
      files: ['check.ts'],
    }),
  );

  const node = (dir: string, args: string[], env?: NodeJS.ProcessEnv) => run(process.execPath, args, { cwd: dir, timeoutMs: 120_000, ...(env ? { env } : {}) });
  runs.synthLatest = node(apps.latest, ['cdk-app.mjs', path.join(apps.latest, 'cdk.out')]);
  runs.synthFloor = node(apps.floor, ['cdk-app.mjs', path.join(apps.floor, 'cdk.out')]);
  runs.mapLatest = node(apps.latest, ['cdk-app.mjs', path.join(apps.latest, 'cdk.out.map'), 'distributed-map']);
  runs.mapFloor = node(apps.floor, ['cdk-app.mjs', path.join(apps.floor, 'cdk.out.map'), 'distributed-map']);
  runs.typecheck = node(apps.latest, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
  await localStack;
  runs.consumer = node(apps.consumer, ['consumer.mjs'], stackEnv());
  runs.example = node(apps.latest, ['invoke-example.mjs'], stackEnv());
  timings.setup = Date.now() - started;
}, 600_000);

afterAll(async () => {
  // Every child has finished before the directory goes (a test that failed early may not have awaited them).
  await Promise.allSettled(Object.values(runs));
  await stack?.close();
  const removing = Date.now();
  rmSync(work, { recursive: true, force: true }); // aws-cdk-lib is some 30 000 files, twice
  timings.cleanup = Date.now() - removing;
  console.log(`package test: ${Object.entries(timings).map(([k, v]) => `${k} ${seconds(v)}`).join(', ')}`);
}, 120_000);

/** Every file under `dir`, with its size. */
function filesUnder(dir: string): Array<{ file: string; bytes: number }> {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return { file, bytes: statSync(file).size };
    });
}

/** The packages `name` depends on, transitively, as installed under `root`/node_modules. */
function dependencyClosure(root: string, name: string): Set<string> {
  const seen = new Set<string>();
  const queue = [name];
  while (queue.length > 0) {
    const next = queue.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    const pkg = path.join(root, 'node_modules', next, 'package.json');
    if (!existsSync(pkg)) continue;
    const { dependencies = {}, peerDependencies = {} } = JSON.parse(readFileSync(pkg, 'utf8')) as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
    queue.push(...Object.keys(dependencies), ...Object.keys(peerDependencies).filter((p) => existsSync(path.join(root, 'node_modules', p))));
  }
  return seen;
}

/** The top-level packages installed in `root`/node_modules. */
function installedPackages(root: string): string[] {
  const nm = path.join(root, 'node_modules');
  return readdirSync(nm)
    .filter((d) => !d.startsWith('.'))
    .flatMap((d) => (d.startsWith('@') ? readdirSync(path.join(nm, d)).map((s) => `${d}/${s}`) : [d]));
}

describe('npm pack', () => {
  it('the construct package ships its built JavaScript, types and prebuilt functions (with their maps, deployed only when asked), no sources and no consumer', () => {
    const files = packs.construct!.files.map((f) => f.path).sort();
    console.log(`${packs.construct!.filename}: ${(packs.construct!.size / 1024).toFixed(0)} kB packed, ${(packs.construct!.unpackedSize / 1024).toFixed(0)} kB unpacked, ${packs.construct!.entryCount} files`);
    for (const target of Object.values(CONSTRUCT.exports)) {
      for (const file of typeof target === 'string' ? [target] : [target.types, target.default]) expect(files).toContain(file.replace(/^\.\//, ''));
    }
    for (const name of FUNCTION_NAMES) expect(files).toEqual(expect.arrayContaining([`dist/lambda/${name}/index.mjs`, `dist/lambda/${name}/index.mjs.map`]));
    expect(files.filter((f) => f.startsWith('dist/lambda/'))).toHaveLength(2 * FUNCTION_NAMES.length);
    expect(files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /^dist\/(functions|local|bench|test|consumer)\//.test(f))).toEqual([]);
    expect(packs.construct!.size).toBeLessThan(5 * 1024 * 1024);
  });

  it('the consumer package ships its bundled entries, their types, README and LICENSE: nothing else', () => {
    const files = packs.consumer!.files.map((f) => f.path).sort();
    console.log(`${packs.consumer!.filename}: ${(packs.consumer!.size / 1024).toFixed(1)} kB packed, ${(packs.consumer!.unpackedSize / 1024).toFixed(1)} kB unpacked, ${packs.consumer!.entryCount} files`);
    for (const target of Object.values(CONSUMER.exports)) {
      for (const file of typeof target === 'string' ? [target] : [target.types, target.default]) expect(files).toContain(file.replace(/^\.\//, ''));
    }
    expect(files.filter((f) => !/^dist\/(index|middy|shared-[A-Z0-9]+)\.js$/.test(f) && !/^dist\/types\/.+\.d\.ts$/.test(f))).toEqual(['LICENSE', 'README.md', 'package.json']);
    // No provider client, transport or zod among the declarations either.
    expect(files.filter((f) => /transport|failures|redaction|client|zod/.test(f))).toEqual([]);
  });

  it('metadata: repository, keywords, description, the peers, and the floor the tests install', () => {
    for (const m of [CONSTRUCT, CONSUMER] as Array<Manifest & Record<string, unknown>>) {
      expect(m.repository).toMatchObject({ url: 'git+https://github.com/tg-token-rotation/tg-token-rotation.git' });
      expect((m.keywords as string[]).length).toBeGreaterThan(3);
      expect(String(m.description)).toMatch(/Trifacta/);
      expect(m.license).toBe('Apache-2.0');
    }
    expect(CONSTRUCT.peerDependencies).toEqual({ 'aws-cdk-lib': `^${AWS_CDK_LIB_FLOOR}`, constructs: `^${FLOOR_CONSTRUCTS}` });
    expect(CONSTRUCT.devDependencies!['aws-cdk-lib-floor']).toBe(`npm:aws-cdk-lib@${AWS_CDK_LIB_FLOOR}`);
    expect(CONSTRUCT.devDependencies!['constructs-floor']).toBe(`npm:constructs@${FLOOR_CONSTRUCTS}`);
    expect(CONSUMER.dependencies).toBeUndefined();
    expect(Object.keys(CONSUMER.peerDependencies!).sort()).toEqual(['@aws-sdk/client-secrets-manager', '@middy/core', '@types/aws-lambda']);
  });
});

describe('an app that only reads tokens: the consumer package alone', () => {
  it(`installs with the AWS SDK and nothing else, under ${CONSUMER_MAX_BYTES / 1024} kB without the SDK`, () => {
    const sdk = dependencyClosure(apps.consumer, '@aws-sdk/client-secrets-manager');
    const others = installedPackages(apps.consumer).filter((p) => !sdk.has(p));
    expect(others).toEqual([CONSUMER.name]);
    const own = filesUnder(path.join(apps.consumer, 'node_modules', CONSUMER.name)).reduce((n, f) => n + f.bytes, 0);
    const all = filesUnder(path.join(apps.consumer, 'node_modules')).reduce((n, f) => n + f.bytes, 0);
    console.log(`consumer-only app: ${CONSUMER.name} ${(own / 1024).toFixed(1)} kB installed; the AWS SDK ${((all - own) / 1024 / 1024).toFixed(1)} MB (${sdk.size} packages)`);
    expect(own).toBeLessThan(CONSUMER_MAX_BYTES);
    for (const name of ['zod', 'aws-cdk-lib', 'tg-token-rotation', '@middy/core']) expect(existsSync(path.join(apps.consumer, 'node_modules', name)), name).toBe(false);
  });

  it('a script reads the token from the local endpoint and calls with it, printing no token', { timeout: 150_000 }, async () => {
    const result = await runs.consumer!;
    timings.consumer = result.ms;
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual(['provider: tigergraph', 'token read: yes', 'GET /echo: 200', 'middy middleware: tokenSource, before function']);
    expect(result.stdout + result.stderr).not.toContain(token);
    expect(result.stdout + result.stderr).not.toMatch(WHOLE_TOKEN);
  });

  it('CommonJS can require() both entries (Node 22 loads ES modules synchronously)', async () => {
    const entries = Object.keys(CONSUMER.exports).filter((e) => e !== './package.json').map((e) => `${CONSUMER.name}${e.slice(1)}`);
    const script = `for (const e of ${JSON.stringify(entries)}) { const m = require(e); if (Object.keys(m).length === 0) throw new Error(e + ' exports nothing'); }`;
    const result = await run(process.execPath, ['-e', script], { cwd: apps.consumer, timeoutMs: 60_000 });
    expect(result.code, describeRun(result)).toBe(0);
  });

  it('a Lambda bundling it gets the consumer only (the runtime’s AWS SDK left out)', async () => {
    const result = await build({
      absWorkingDir: apps.consumer,
      entryPoints: [path.join(apps.consumer, 'consumer.mjs')],
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
    expect(inputs.filter((i) => i !== 'consumer.mjs' && !i.startsWith(`node_modules/${CONSUMER.name}/dist/`))).toEqual([]);
    expect(bytes).toBeLessThan(24 * 1024);
    console.log(`consumer bundled from the installed package: ${(bytes / 1024).toFixed(1)} kB minified`);
  });
});

/** The functions of a synthesized template, each checked to be one of FUNCTION_NAMES deployed from the installed package's prebuilt bundle. */
function checkDeployedFunctions(app: string, outdir: string, template: Template, files: string[]): void {
  const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
  const installedDist = path.join(app, 'node_modules/tg-token-rotation/dist/lambda');
  const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  expect(functions.map((fn) => serviceNameOf(fn.Properties))).toContain(serviceName('rotation'));
  for (const fn of functions) {
    expect(fn.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    const name = FUNCTION_NAMES.find((n) => serviceName(n) === serviceNameOf(fn.Properties));
    expect(name, JSON.stringify(fn.Properties.Environment)).toBeDefined();
    const nodeOptions = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.NODE_OPTIONS;
    expect(nodeOptions).toBe(files.includes('index.mjs.map') ? '--enable-source-maps' : undefined);
    // DefaultStackSynthesizer: S3Key "<hash>.zip" is the directory cdk.out/asset.<hash>.
    const asset = path.join(outdir, `asset.${(fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '')}`);
    expect(readdirSync(asset).sort()).toEqual(files);
    expect(sha(path.join(asset, 'index.mjs')), name).toBe(sha(path.join(installedDist, name!, 'index.mjs')));
    expect(sha(path.join(installedDist, name!, 'index.mjs')), name).toBe(sha(path.join(REPO_ROOT, 'dist/lambda', name!, 'index.mjs')));
  }
}

const templateOf = (outdir: string, stackName: string) => JSON.parse(readFileSync(path.join(outdir, `${stackName}.template.json`), 'utf8')) as Template;

describe(`a CDK app with the latest aws-cdk-lib (${installedVersion('aws-cdk-lib')})`, () => {
  it('the CDK example synthesizes with the construct, deploying the prebuilt bundles without their maps (with them where sourceMaps asks)', { timeout: 150_000 }, async () => {
    const result = await runs.synthLatest!;
    timings['synth latest'] = result.ms;
    expect(result.code, describeRun(result)).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toEqual({
      managedTag: 'tg-token-rotation:managed',
      deprecatedAliasIsTheConstruct: true,
      connections: ['analytics:tigergraph', 'wrangling:trifacta', 'genomics:ica'],
    });
    // No bundling happened: nothing to bundle with (no esbuild, no TypeScript entries).
    expect(result.stdout + result.stderr).not.toMatch(/Bundling asset/);

    const outdir = path.join(apps.latest, 'cdk.out');
    const template = templateOf(outdir, 'UserStack');
    expect(resourcesOfType(template, 'Custom::TokenSecretSettings')).toHaveLength(3);
    expect(resourcesOfType(template, 'AWS::S3::Bucket')).toHaveLength(1);
    checkDeployedFunctions(apps.latest, outdir, template, ['index.mjs']);
    checkDeployedFunctions(apps.latest, outdir, templateOf(outdir, 'UserStackWithSourceMaps'), ['index.mjs', 'index.mjs.map']);

    // grantReadToken: the app's role reads the one token secret; the other account through the resource policies.
    const [, appPolicy] = resourcesOfType(template, 'AWS::IAM::Policy').find(([id]) => id.startsWith('AppRole'))!;
    const statements = (appPolicy.PolicyDocument as { Statement: Array<{ Action: string | string[] }> }).Statement;
    expect(statements.map((s) => s.Action)).toEqual([['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], 'kms:Decrypt']);
    const allowed = resourcesOfType(template, 'AWS::SecretsManager::ResourcePolicy').flatMap(([, p]) =>
      (p.ResourcePolicy as { Statement: Array<{ Effect: string; Principal: unknown }> }).Statement.filter((s) => s.Effect === 'Allow'),
    );
    expect(allowed).toHaveLength(2);
    expect(JSON.stringify(allowed)).toContain(':iam::111122223333:root');
    expect(JSON.stringify(allowed)).toContain('"aws:PrincipalOrgID":"o-a1b2c3d4e5"');
    // The key policy's Decrypt for each is through Secrets Manager and for its secret only, whatever aws-cdk-lib rendered it (the floor test compares).
    const [, key] = resourcesOfType(template, 'AWS::KMS::Key')[0]!;
    const crossAccount = (key.KeyPolicy as { Statement: Array<{ Principal: unknown; Condition?: Record<string, Record<string, unknown>> }> }).Statement.filter(
      (s) => JSON.stringify(s.Principal).includes('111122223333') || JSON.stringify(s.Principal) === '{"AWS":"*"}',
    );
    expect(crossAccount).toHaveLength(2);
    for (const s of crossAccount) expect(Object.keys(s.Condition?.StringLike ?? {})).toEqual(['kms:EncryptionContext:SecretARN']);
  });

  it('the consumer example (examples/consumer-lambda, compiled, imports unchanged) runs with the installed packages against the local stack', { timeout: 150_000 }, async () => {
    const result = await runs.example!;
    expect(result.code, describeRun(result)).toBe(0);
    const current = await stack!.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toEqual({ ok: true, status: 200, message: 'Hello GSQL', versionId: current.VersionId });
    expect(result.stdout + result.stderr).not.toContain(token);
  });

  it('the Distributed Map engine synthesizes', { timeout: 150_000 }, async () => {
    const result = await runs.mapLatest!;
    expect(result.code, describeRun(result)).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toEqual({ distributedMap: 'synthesized' });
  });

  it("a TypeScript user's imports of every entry of both packages type-check against the installed .d.ts", { timeout: 150_000 }, async () => {
    const result = await runs.typecheck!;
    timings.typecheck = result.ms;
    expect(result.code, describeRun(result)).toBe(0);
  });

  it('CommonJS can require() the construct (Node 22 loads ES modules synchronously)', async () => {
    const result = await run(process.execPath, ['-e', `const m = require('${CONSTRUCT.name}'); if (typeof m.TokenRotation !== 'function') throw new Error('no TokenRotation');`], {
      cwd: apps.latest,
      timeoutMs: 60_000,
    });
    expect(result.code, describeRun(result)).toBe(0);
  });
});

describe('an app with the construct package: what its Lambda bundles contain stays out', () => {
  it('installs with its runtime dependencies only', () => {
    const has = (name: string) => existsSync(path.join(apps.floor, 'node_modules', name, 'package.json'));
    for (const name of Object.keys(CONSTRUCT.dependencies ?? {})) expect(has(name), name).toBe(true);
    // Build-time only: bundled into dist/lambda, or tooling.
    for (const name of ['@aws-lambda-powertools/logger', '@middy/core', '@middy/ssm', '@aws-sdk/client-cloudformation', '@aws-sdk/client-eventbridge', 'p-limit', 'esbuild', 'typescript', 'tsx']) {
      expect(has(name), name).toBe(false);
    }
  });
});

describe(`the oldest supported aws-cdk-lib (${AWS_CDK_LIB_FLOOR}) and constructs (${FLOOR_CONSTRUCTS})`, () => {
  it('install without a peer conflict (no --legacy-peer-deps) and are what the project got', () => {
    expect(manifest(path.join(apps.floor, 'node_modules/aws-cdk-lib')).version).toBe(AWS_CDK_LIB_FLOOR);
    expect(manifest(path.join(apps.floor, 'node_modules/constructs')).version).toBe(FLOOR_CONSTRUCTS);
  });

  it('the CDK example synthesizes the same templates as with the latest, byte for byte', { timeout: 150_000 }, async () => {
    const [floor, latest] = await Promise.all([runs.synthFloor!, runs.synthLatest!]);
    timings['synth floor'] = floor.ms;
    expect(floor.code, describeRun(floor)).toBe(0);
    expect(floor.stdout.trim().split('\n').at(-1)).toBe(latest.stdout.trim().split('\n').at(-1));
    for (const name of ['UserStack', 'UserStackWithSourceMaps']) {
      expect(readFileSync(path.join(apps.floor, 'cdk.out', `${name}.template.json`), 'utf8'), name).toBe(readFileSync(path.join(apps.latest, 'cdk.out', `${name}.template.json`), 'utf8'));
    }
    checkDeployedFunctions(apps.floor, path.join(apps.floor, 'cdk.out'), templateOf(path.join(apps.floor, 'cdk.out'), 'UserStack'), ['index.mjs']);
  });

  it(`the Distributed Map engine is refused with the version it needs (${DISTRIBUTED_MAP_CDK_FLOOR})`, { timeout: 150_000 }, async () => {
    const result = await runs.mapFloor!;
    expect(result.code, describeRun(result)).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toEqual({
      distributedMap: `TokenRotation: sweepEngine 'distributed-map' needs aws-cdk-lib ${DISTRIBUTED_MAP_CDK_FLOOR} or later; this app's aws-cdk-lib is older: upgrade it (npm install aws-cdk-lib@^${DISTRIBUTED_MAP_CDK_FLOOR})`,
    });
  });
});
