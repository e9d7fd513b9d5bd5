import { z } from 'zod';
import { pipelineSpecSchema } from './pipeline-schema.js';

/** The JSON Schema of a pipeline spec (for editors: `# yaml-language-server: $schema=...`). */
export function pipelineSpecJsonSchema(): Record<string, unknown> {
  return { title: 'sinkscope pipeline spec', ...(z.toJSONSchema(pipelineSpecSchema, { io: 'input' }) as Record<string, unknown>) };
}
