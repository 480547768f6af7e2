// @ts-check
/**
 * StrykerJS mutation testing (not run in CI: minutes per module). Run it through the wrapper,
 * which picks the test files that reach the mutated module (scripts/mutation.ts):
 *
 *   npm run mutation                                   everything in `mutate` below
 *   npm run mutation -- core/rotation/steps.ts         one module, against its tests only
 *
 * Results and how to read them: docs/mutation.md. Reports go to reports/mutation/ (git-ignored);
 * sandboxes to .stryker-tmp/ (git-ignored, removed after a successful run).
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
const name = process.env.STRYKER_REPORT_NAME || 'all';

const config = {
  // The default set: the provider-agnostic rotation and operations, and each provider's HTTP
  // client and failure mapping (where a wrong branch mints, revokes or reports the wrong thing).
  mutate: ['core/rotation/**/*.ts', 'core/operations/**/*.ts', 'core/providers/*/client.ts', 'core/providers/*/failures.ts'],
  testRunner: 'vitest',
  vitest: {
    configFile: 'vitest.config.ts',
    // Only the tests whose imports reach the mutated file. The wrapper passes an explicit
    // --testFiles list on top (the same relation, minus suites that cannot run in a sandbox).
    related: true,
  },
  // Per-test coverage: each mutant runs only the tests that execute its code.
  coverageAnalysis: 'perTest',
  // Two cores: two workers, each one vitest with one worker of its own.
  concurrency: 2,
  // The suites start local HTTP servers and a local Secrets Manager; a mutant that makes a retry
  // loop spin or a wait never end is a timeout (counted as detected), not a hang.
  timeoutMS: 20_000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 20,
  // Restart each test runner now and then: every run starts servers and clients in one process.
  maxTestRunnerReuse: 200,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  clearTextReporter: { allowColor: false, logTests: false },
  incrementalFile: `reports/mutation/${name}.incremental.json`,
  // Never copied into the sandbox: build output and local run artifacts.
  ignorePatterns: ['/dist', '/cdk.out', '/.tmp', '/bench/results.json', '/reports'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  thresholds: { high: 85, low: 70, break: null },
};

export default config;
