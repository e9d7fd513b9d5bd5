// `npm run parity-figures`: run the parity suites (model-io tfjs and onnx engines on the shared and the
// hf-extra fixtures, the train package's forward pass) with SINKSCOPE_PARITY_OUT set, so each writes
// the figures it measured instead of checking the README, then rewrite the root README's parity table from those files. The suites
// check that table on every other run (packages/model-io/src/testing/parity-figures.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PARITY_SUITES,
  README_PATH,
  readmeParityBlock,
  renderParityTable,
  replaceParityBlock,
  type ParityFigures,
  type ParitySuiteId,
} from '../packages/model-io/src/testing/parity-figures.js';

const SUITE_FILES = [
  'packages/model-io/test/parity/tfjs-parity.test.ts',
  'packages/model-io/test/onnx/onnx-parity.test.ts',
  'packages/model-io/test/parity/hf-extra-parity.test.ts',
  'packages/train/test/fixture-parity.test.ts',
];

const out = mkdtempSync(join(tmpdir(), 'sinkscope-parity-'));
try {
  const run = spawnSync('npx', ['vitest', 'run', ...SUITE_FILES], { stdio: 'inherit', env: { ...process.env, SINKSCOPE_PARITY_OUT: out } });
  if (run.status !== 0) {
    console.error('parity-figures: the parity suites failed; README.md left as it is');
    process.exit(1);
  }
  const figures = (Object.keys(PARITY_SUITES) as ParitySuiteId[]).map((id) => JSON.parse(readFileSync(join(out, `${id}.json`), 'utf8')) as ParityFigures);
  const readme = readFileSync(README_PATH, 'utf8');
  const block = renderParityTable(figures);
  if (readmeParityBlock(readme) === block) {
    console.log('parity-figures: README.md already states these figures');
  } else {
    writeFileSync(README_PATH, replaceParityBlock(readme, block));
    console.log('parity-figures: README.md parity table rewritten');
  }
  for (const f of figures) console.log(`  ${f.suite}: worst ${f.worst} (${f.where}), ${f.fixtures} fixtures, ${f.tensors} tensors`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
