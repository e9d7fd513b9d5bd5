import { z } from 'zod';
import { datasetSpecSchema } from './dataset-schema.js';

/** The JSON Schema of a spec file as a user writes it (generated from the zod schema). */
export function datasetSpecJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(datasetSpecSchema, { io: 'input' }), title: 'sinkscope dataset spec' };
}
