import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { pipelineSpecSchema, type PipelineSpec } from './pipeline-schema.js';

/** An invalid spec file: names the file and every offending field path. */
export class SpecError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'SpecError';
  }
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

/** zod issues as "field 'models[0].path': <message>"; unknown keys name the key itself. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `unknown field '${fieldPath([...issue.path, k])}'`).join('; ');
    }
    const where = issue.path.length ? `field '${fieldPath(issue.path)}'` : 'spec';
    return `${where}: ${issue.message}`;
  });
}

/** Parse YAML or JSON text and validate it; defaults are filled in (the normalised spec). */
export function parseSpec(file: string, text: string): PipelineSpec {
  let raw: unknown;
  try {
    raw = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new SpecError(file, [`not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`]);
  }
  const result = pipelineSpecSchema.safeParse(raw);
  if (!result.success) throw new SpecError(file, describeIssues(result.error.issues));
  return result.data;
}

export function loadSpec(file: string): PipelineSpec {
  if (!existsSync(file)) throw new SpecError(file, ['file not found']);
  return parseSpec(file, readFileSync(file, 'utf8'));
}
