/**
 * Regenerate datasets/dataset-spec.schema.json from the zod schema (a test checks it is current):
 *   npx tsx packages/datasets/tools/write-spec-schema.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHIPPED_DATASETS_DIR, datasetSpecJsonSchema } from '../src/index.js';

export const SPEC_SCHEMA_FILE = join(SHIPPED_DATASETS_DIR, 'dataset-spec.schema.json');

/** The file's exact content: 2-space JSON and a final newline. */
export function specSchemaFileText(): string {
  return `${JSON.stringify(datasetSpecJsonSchema(), null, 2)}\n`;
}

if (process.argv[1]?.endsWith('write-spec-schema.ts')) {
  writeFileSync(SPEC_SCHEMA_FILE, specSchemaFileText());
  console.log(`wrote ${SPEC_SCHEMA_FILE}`);
}
