import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * tsconfig.json's `paths` (the two packages by name, from their sources) as exact-match aliases, so
 * examples/ and the tests that load them resolve `tg-token-rotation-consumer` to consumer/index.ts
 * as tsx, esbuild and tsc do. One definition: tsconfig.json.
 */
function aliasesFromTsconfig(): Array<{ find: RegExp; replacement: string }> {
  const { compilerOptions } = JSON.parse(readFileSync(path.join(import.meta.dirname, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
  return Object.entries(compilerOptions.paths).map(([name, [target]]) => ({
    find: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`),
    replacement: path.resolve(import.meta.dirname, target!),
  }));
}

export default defineConfig({
  resolve: { alias: aliasesFromTsconfig() },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores on CI: keep parallelism modest so timing-sensitive integration tests stay stable.
    maxWorkers: 2,
    // On CI a JSON report too, so .ci/run can print a plain "N passed, N failed" closing line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.tmp/vitest-report.json' }]] : ['default'],
    // Handlers log structured JSON to stdout; keep the test output readable. Tests that check what
    // is logged (secret hygiene, the npm start transcript) run with logging on in a child process.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  },
});
