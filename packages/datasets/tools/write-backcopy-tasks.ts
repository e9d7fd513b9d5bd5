/**
 * Writes the shipped back-copy tasks (datasets/backcopy-choice.jsonl, datasets/backcopy-labels.jsonl)
 * from the generators in src/tasks/backcopy-tasks.ts; a test checks the files equal their output.
 *   npx tsx packages/datasets/tools/write-backcopy-tasks.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHIPPED_DATASETS_DIR, backcopyChoiceItems, backcopyLabelledExamples } from '../src/index.js';

export const BACKCOPY_TASK_FILES = {
  'backcopy-choice.jsonl': () => backcopyChoiceItems(100),
  'backcopy-labels.jsonl': () => backcopyLabelledExamples(120),
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
