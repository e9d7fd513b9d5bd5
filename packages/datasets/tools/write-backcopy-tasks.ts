/**
 * Writes the shipped back-copy tasks (datasets/backcopy-choice.jsonl, datasets/backcopy-labels.jsonl)
 * from the generators in src/tasks/backcopy-tasks.ts; a test checks the files equal their output.
 *   npx tsx packages/datasets/tools/write-backcopy-tasks.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHIPPED_DATASETS_DIR, backcopyChoiceItems, backcopyLabelledExamples, type BackcopyTaskOptions } from '../src/index.js';

/**
 * The embedded default model's task world (pipelines/train-default/train.json's `data`: task seed 1,
 * offsets {1, 2}, a random ordinary first token instead of BOS); a test checks the two agree.
 */
export const DEFAULT_MODEL_TASK: BackcopyTaskOptions = { taskSeed: 1, offsets: [1, 2], firstToken: 'random' };

export const BACKCOPY_TASK_FILES = {
  'backcopy-choice.jsonl': () => backcopyChoiceItems(100, DEFAULT_MODEL_TASK),
  'backcopy-labels.jsonl': () => backcopyLabelledExamples(120, DEFAULT_MODEL_TASK),
} as const;

export function renderJsonl(records: readonly object[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

if (process.argv[1]?.endsWith('write-backcopy-tasks.ts')) {
  for (const [file, make] of Object.entries(BACKCOPY_TASK_FILES)) {
    writeFileSync(join(SHIPPED_DATASETS_DIR, file), renderJsonl(make()));
    process.stdout.write(`wrote datasets/${file}\n`);
  }
}
