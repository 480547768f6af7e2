import { defineConfig } from 'vitest/config';

export default defineConfig({
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
