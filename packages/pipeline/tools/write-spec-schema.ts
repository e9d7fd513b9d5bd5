/** Writes packages/pipeline/pipeline.schema.json from the zod spec schema (the single source of truth). */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipelineSpecJsonSchema } from '../src/schema/json-schema.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'pipeline.schema.json');
writeFileSync(out, `${JSON.stringify(pipelineSpecJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${out}\n`);
