/**
 * `npm run build -w consumer` (or `npm pack -w consumer`, which runs it): the consumer package in
 * consumer/dist/, what its `files` ship.
 *
 *   dist/index.js, dist/middy.js (+ shared chunk)   ESM, bundled by esbuild from consumer/index.ts
 *                                                   and consumer/middy.ts with what they import at
 *                                                   run time (consumer/ and core's pure tables);
 *                                                   the AWS SDK and middy stay imports (peers)
 *   dist/types/...                                  the declarations (tsc) of the two entries and
 *                                                   of what they reference, nothing else
 *
 * Why not tsc's JavaScript: tsc emits every file of its program, and the consumer's program reaches
 * core modules through type-only imports (the TigerGraph edge's field types lead to the HTTP
 * transport), so the package would ship code nothing loads. esbuild keeps what runs; the
 * declarations are taken by following their own imports from the entries. One shared chunk keeps
 * one copy of each class across the two entries, so `instanceof TokenRefusedError` holds whichever
 * entry made the error.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../infra/bundling.js';

const CONSUMER = path.join(PROJECT_ROOT, 'consumer');
const DIST = path.join(CONSUMER, 'dist');
/** The package's entries (package.json exports "." and "./middy"). */
export const CONSUMER_ENTRIES = ['index', 'middy'] as const;

rmSync(DIST, { recursive: true, force: true });

await build({
  absWorkingDir: PROJECT_ROOT,
  entryPoints: CONSUMER_ENTRIES.map((e) => path.join(CONSUMER, `${e}.ts`)),
  outdir: DIST,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // Peers: the app's own copies (the Lambda runtime's SDK, the app's middy).
  external: ['@aws-sdk/*', '@middy/*'],
  chunkNames: 'shared-[hash]',
  logLevel: 'warning',
});

// Declarations: tsc into a scratch directory, then the files the entries reach.
const scratch = mkdtempSync(path.join(tmpdir(), 'consumer-types-'));
try {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(CONSUMER, 'tsconfig.build.json'), '--emitDeclarationOnly', '--outDir', scratch], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
  });
  if (compiled.status !== 0) throw new Error(`tsc -p consumer/tsconfig.build.json failed (exit ${compiled.status ?? compiled.signal})`);
  for (const file of reachableDeclarations(scratch, CONSUMER_ENTRIES.map((e) => `consumer/${e}.d.ts`))) {
    mkdirSync(path.dirname(path.join(DIST, 'types', file)), { recursive: true });
    copyFileSync(path.join(scratch, file), path.join(DIST, 'types', file));
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log('built consumer/dist');

/** The .d.ts files (relative to `root`) that `entries` import, directly or not. Package imports are the user's. */
function reachableDeclarations(root: string, entries: readonly string[]): string[] {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = path.normalize(queue.pop()!);
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(path.join(root, file), 'utf8');
    for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      queue.push(path.join(path.dirname(file), specifier!.replace(/\.js$/, '.d.ts')));
    }
  }
  return [...seen].sort();
}
