#!/usr/bin/env node
// `npm test`: type-check the whole workspace, run every package's Vitest suite in one run, and end
// with the totals as a line of its own, `N passed, N failed, N skipped` (what CI reads).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const resultsFile = '.vitest-results.json';
const passthrough = process.argv.slice(2);

const typecheck = spawnSync('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
const typecheckFailed = typecheck.status !== 0;
if (typecheckFailed) console.error('typecheck failed (tsc -p tsconfig.json --noEmit)');

rmSync(resultsFile, { force: true });
const vitest = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${resultsFile}`, ...passthrough],
  { stdio: 'inherit' },
);

let passed = 0;
let failed = typecheckFailed ? 1 : 0;
let skipped = 0;
if (existsSync(resultsFile)) {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  passed += results.numPassedTests;
  failed += results.numFailedTests;
  // a test file that failed to load (syntax error, failing import) has no failed test to count
  for (const file of results.testResults ?? []) {
    if (file.status === 'failed' && !(file.assertionResults ?? []).some((a) => a.status === 'failed')) failed += 1;
  }
  skipped += (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
} else {
  failed += 1; // vitest produced no results at all
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || vitest.status !== 0 ? 1 : 0);
