// npm run lint: ESLint 9 flat config with typescript-eslint.
//
// The rule base is the non-type-checked `recommended` sets (ESLint's and typescript-eslint's).
// The full type-checked set (`recommendedTypeChecked`) took 83 s on a quiet 2-core machine and
// 1.5-2.5 min on a busy one (one TypeScript program over ~4,500 files, aws-cdk-lib's types
// included): at or over a ~90 s budget for a CI step, and most of its extra findings were
// no-unsafe-* on parsed JSON in tests. Only two type-aware rules are on: no-floating-promises
// (an un-awaited provider call or Secrets Manager write is a real bug in this code) and
// await-thenable. The run is then ~35 s, most of it building the program. (no-misused-promises
// found nothing and added ~20 s of CPU.)
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '**/dist/',
      'cdk.out/',
      '**/cdk.out/',
      '.tmp/',
      '.stryker-tmp/',
      'reports/',
      'bench/results/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
    },
    rules: {
      // Cheap addition: == only for the deliberate `x == null` check.
      eqeqeq: ['error', 'smart'],
      // The code names deliberately unused parameters `_x` (interface methods, overrides) and drops
      // properties with `const { dropped: _, ...rest } = value`: neither is a finding.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // A `let timer` declared before the closures that clear it and assigned later (the HTTP
      // transport) cannot be a const without a temporal-dead-zone hazard.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        // tsconfig.json covers every linted TypeScript file (scripts/ included).
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
);
