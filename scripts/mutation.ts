/**
 * `npm run mutation`: mutation testing with StrykerJS (stryker.config.mjs), one module or many,
 * each against the test files that reach it. Too slow for CI (minutes per module): run it by hand
 * after changing a module or its tests, and record the score in docs/mutation.md.
 *
 *   npm run mutation                                  every module of the config's default `mutate`
 *   npm run mutation -- core/rotation/steps.ts        one module (several may be given)
 *   npm run mutation -- core/operations/settle.ts --incremental
 *                                                     re-test only mutants whose code or tests changed
 *   npm run mutation -- core/rotation/steps.ts --list only print the test files that would run
 *   npm run mutation -- core/rotation/steps.ts --with-integration
 *                                                     also the handler-level suites (UNIT_SCOPE below; hours)
 *   npm run mutation -- core/http/redaction.ts --skip=test/providers/sliding-leaks.test.ts
 *                                                     leave a test file out (one --skip= per file, or a
 *                                                     folder ending in /): a suite too slow to run once
 *                                                     per mutant, or one that fails the dry run under
 *                                                     load; docs/mutation.md says which runs left what out
 *   npm run mutation -- core/http/redaction.ts --direct --also=test/providers/client-leaks.test.ts
 *                                                     only the test files that import a module itself (and
 *                                                     those named by --also=): for a module that nearly
 *                                                     every suite reaches, where each mutant would re-run
 *                                                     dozens of files (minutes per mutant)
 *
 * Any other `--option` is passed to `stryker run` as it is (e.g. `--concurrency 1`, `--logLevel debug`).
 *
 * Which tests: the test files (test/**\/*.test.ts) whose imports reach the module, following
 * relative imports transitively through core/ and test/ files (UNIT_SCOPE; vitest's `related`,
 * which also follows functions/ and local/, with `--with-integration`), minus the suites that
 * cannot run inside Stryker's sandbox (NOT_IN_SANDBOX). They are passed
 * to Stryker as `--testFiles`, so the dry run runs only them; per-test coverage then narrows each
 * mutant to the tests that execute its code.
 *
 * Reports: reports/mutation/<name>.html and .json, and the incremental baseline in
 * reports/mutation/<name>.incremental.json, where <name> is "all" or the module's path with
 * slashes as dashes (so runs of different modules do not overwrite each other's baseline).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Test files never passed to Stryker: they run the product in child processes or bundles (npm
 * start, packed tarballs, esbuild bundles, CDK synthesis), where the instrumented code is not what
 * runs, or they exist to run long (the soak, the consumer loop: a minute of timing-sensitive
 * traffic that fails under load, and a failing dry run stops Stryker).
 */
export const NOT_IN_SANDBOX = [
  'test/bench/',
  'test/consumer/bundle.test.ts',
  'test/consumer/example-lambda.test.ts',
  'test/consumer/loop.test.ts',
  'test/infra/',
  'test/local/',
  'test/package/',
  'test/reliability/soak.test.ts',
];

/**
 * Which imports count. By default only those through core/ and test/ files: a test reaches a
 * module when it imports it, or imports a core module or test helper that does (the unit and
 * operations tests). With `--with-integration`, imports through functions/ and local/ count too:
 * the handler, conformance, integration and reliability suites, which drive the module through the
 * Lambda handlers and the local stack. Those run for minutes, and much of their coverage comes from
 * setup outside any test (secrets created and rotated in beforeAll), so Stryker cannot narrow a
 * mutant to a few tests and runs every one of them for it: hours per module on two cores.
 */
const UNIT_SCOPE = ['core/', 'test/'];

const matches = (file: string, list: readonly string[]) => list.some((x) => (x.endsWith('/') ? file.startsWith(x) : file === x));

const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;

/** The project file a relative specifier names (`./x.js` is `./x.ts` in the source tree), if any. */
function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const candidates = [base, base.replace(/\.(m?js)$/, (_, ext: string) => (ext === 'mjs' ? '.mts' : '.ts')), `${base}.ts`, path.join(base, 'index.ts')];
  return candidates.find((c) => /\.(m?ts|m?js)$/.test(c) && existsSync(c) && statSync(c).isFile());
}

const importsCache = new Map<string, string[]>();
function importsOf(file: string): string[] {
  let found = importsCache.get(file);
  if (!found) {
    const text = readFileSync(file, 'utf8');
    found = [...text.matchAll(IMPORT_RE)].map((m) => resolveSpecifier(file, m[2]!)).filter((f): f is string => f !== undefined && !f.includes(`${path.sep}node_modules${path.sep}`));
    importsCache.set(file, found);
  }
  return found;
}

/** Whether `file` imports any of `targets`, directly or through the files it imports (within `scope`, when given). */
function reaches(file: string, targets: ReadonlySet<string>, scope: readonly string[] | undefined, seen = new Set<string>()): boolean {
  if (seen.has(file)) return false;
  seen.add(file);
  const inScope = (f: string) => scope === undefined || scope.some((dir) => projectPath(f).startsWith(dir));
  return importsOf(file).some((f) => targets.has(f) || (inScope(f) && reaches(f, targets, scope, seen)));
}

/** Every file under `dir`, as an absolute path. */
function listAll(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listAll(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** A path relative to the project root, with forward slashes (as configs and globs write them). */
const projectPath = (file: string) => path.relative(ROOT, file).split(path.sep).join('/');

/** The test files (relative to the project root) whose imports reach any of `modules` (with `direct`, that import one itself). */
export function relatedTests(modules: readonly string[], options: { withIntegration?: boolean; direct?: boolean } = {}): string[] {
  const targets = new Set(modules.map((m) => path.resolve(ROOT, m)));
  const related = (file: string) =>
    options.direct === true ? importsOf(file).some((f) => targets.has(f)) : reaches(file, targets, options.withIntegration === true ? undefined : UNIT_SCOPE);
  return listAll(path.join(ROOT, 'test'))
    .filter((f) => f.endsWith('.test.ts'))
    .map(projectPath)
    .filter((f) => !matches(f, NOT_IN_SANDBOX))
    .filter((f) => related(path.join(ROOT, f)))
    .sort();
}

/** The files a `mutate` glob list names (only the simple `dir/**\/*.ts`, `dir/*\/name.ts` and plain-path forms this config uses). */
function expandMutate(patterns: readonly string[]): string[] {
  const all = listAll(path.join(ROOT, 'core')).map(projectPath);
  const res = patterns.filter((p) => !p.startsWith('!')).map(globToRegExp);
  const not = patterns.filter((p) => p.startsWith('!')).map((p) => globToRegExp(p.slice(1)));
  return all.filter((f) => res.some((r) => r.test(f)) && !not.some((r) => r.test(f))).sort();
}

function globToRegExp(glob: string): RegExp {
  const re = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*\//g, '\u0000')
    .replace(/\*/g, '[^/]*')
    // eslint-disable-next-line no-control-regex -- \u0000 is the placeholder for `**/` set above
    .replace(/\u0000/g, '(?:.*/)?');
  return new RegExp(`^${re}$`);
}

async function main(argv: string[]): Promise<number> {
  const modules = argv.filter((a) => !a.startsWith('-') && /\.(m?ts)$/.test(a));
  const own = ['--list', '--with-integration', '--direct'];
  // One token each (`--skip=file`), so the file is not taken for a module to mutate.
  const valued = (flag: string) => argv.filter((a) => a.startsWith(flag)).map((a) => a.slice(flag.length));
  const skipped = valued('--skip=');
  const also = valued('--also=');
  const passThrough = argv.filter((a) => !modules.includes(a) && !own.includes(a) && !a.startsWith('--skip=') && !a.startsWith('--also='));
  const listOnly = argv.includes('--list');
  const withIntegration = argv.includes('--with-integration');
  for (const m of modules) {
    if (!existsSync(path.join(ROOT, m))) {
      console.error(`mutation: no such file ${m}`);
      return 2;
    }
  }
  // The config is plain JavaScript (Stryker loads it as it is): read its default `mutate` at run time.
  const config = (await import(pathToFileURL(path.join(ROOT, 'stryker.config.mjs')).href)) as { default: { mutate: string[] } };
  const targets = modules.length > 0 ? modules : expandMutate(config.default.mutate);
  for (const f of [...skipped, ...also]) {
    if (!existsSync(path.join(ROOT, f))) {
      console.error(`mutation: --skip/--also: no such file ${f}`);
      return 2;
    }
  }
  const direct = argv.includes('--direct');
  const tests = [...new Set([...relatedTests(targets, { withIntegration, direct }), ...also])].filter((f) => !matches(f, skipped)).sort();
  // STRYKER_REPORT_NAME, when set, names a batch's reports (two batches of several modules would both be "selection").
  const name =
    process.env.STRYKER_REPORT_NAME || (modules.length === 1 ? modules[0]!.replace(/\.m?ts$/, '').split('/').join('-') : modules.length > 1 ? 'selection' : 'all');
  console.log(`mutation: ${targets.length} module(s): ${targets.join(', ')}`);
  console.log(`mutation: ${tests.length} test file(s): ${tests.join(', ')}`);
  if (listOnly) return 0;
  if (tests.length === 0) {
    console.error('mutation: no test file reaches these modules; nothing to run');
    return 1;
  }
  const args = [
    'run',
    'stryker.config.mjs',
    '--mutate',
    targets.join(','),
    '--testFiles',
    tests.join(','),
    ...passThrough,
  ];
  const reportEnv = { ...process.env, STRYKER_REPORT_NAME: name };
  const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'stryker'), args, { cwd: ROOT, stdio: 'inherit', env: reportEnv });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(await main(process.argv.slice(2)));
}
