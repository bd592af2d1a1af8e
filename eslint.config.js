// ESLint flat config; `npm run lint` runs it after tsc. The TypeScript that tsconfig.check.json
// type-checks (src/, test/, bench/) gets typescript-eslint's type-aware recommended rules
// (25-45 s for the whole tree on 2 CPUs; tsc alone takes 12 s); the packs get the syntactic ones.
import js from '@eslint/js'
import {defineConfig, globalIgnores} from 'eslint/config'
import tseslint from 'typescript-eslint'

export default defineConfig(
  globalIgnores([
    '**/dist/',
    '**/node_modules/',
    'test/**/fixtures/**',
    '**/oclif.manifest.json',
    'schemas/',
    'coverage/',
    '.nyc_output/',
    'tmp/',
  ]),
  {
    // An eslint-disable comment that no longer disables anything is an error too.
    linterOptions: {reportUnusedDisableDirectives: 'error'},
  },
  {
    // bin/, .ci/*.mjs, plugins/link-odoops.mjs, this file: plain Node ESM.
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: {globals: {process: 'readonly', console: 'readonly', URL: 'readonly'}},
  },
  {
    // Every TypeScript file, the packs' (plugins/*) included, gets the syntactic rules. The
    // packs get no more: they import `odoops` types from the root's built dist/, which does not
    // exist yet when lint runs (pretest lints, then builds), so type-aware rules would see `any`.
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname},
    },
    rules: {
      // Async methods that implement a Promise-returning interface without awaiting (stores,
      // test doubles) are the norm here: a throw still becomes a rejection.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // Forwarding a caught `unknown` error is fine, as only-throw-error allows it for throw.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', {allowThrowingUnknown: true}],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      eqeqeq: ['error', 'smart'],
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true}],
    },
  },
  {
    // The CLI writes through oclif (this.log, ux) and its output writers, never console.
    files: ['src/**/*.ts'],
    rules: {'no-console': 'error'},
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Tests read the CLI's JSON output as `any` (CliResult.json) on purpose and let chai check it.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
)
