// The JS linter of pkg/, www/, tests/ and bench/ (make test runs it): the
// recommended rules, plus the few that catch real bugs in this code base.
// Browser code (the package, the demo, the test pages) and Node code (the
// tests, the tools, the benchmarks) get their own globals.
import js from '@eslint/js';
import globals from 'globals';

export default [
  {
    ignores: ['**/node_modules/', 'pkg/dist/', 'tests/e2e/pages/dist/',
      // What the bundler apps build (tests/bundlers/.gitignore): a second `make test` finds it there.
      'tests/bundlers/*/dist/', 'tests/bundlers/*/.next/', 'tests/bundlers/*/out/', 'tests/bundlers/*/cache/',
      'bench/build/', 'bench/results/', 'target/', 'bench/addok/'],
  },
  js.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      'prefer-const': 'error',
      // `const { a, ...rest } = o` drops a on purpose.
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Storage and other browser APIs throw where they are disabled: an empty catch is the fallback.
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['pkg/**/*.js', 'www/**/*.js', 'tests/e2e/pages/**/*.js', 'bench/page/**/*.js', 'tests/bundlers/**/src/*.js', 'tests/bundlers/app.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.mjs', 'pkg/node.js', 'eslint.config.js', 'tests/bundlers/**/*.config.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // Browser tests and benchmarks hand functions to page.evaluate: they run in the page.
    files: ['tests/e2e/**/*.mjs', 'tests/bundlers/**/*.mjs', 'tests/engines/**/*.mjs', 'bench/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
];
