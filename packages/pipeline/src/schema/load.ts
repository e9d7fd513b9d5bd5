import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { expandModelRevisions, RevisionsError } from './model-revisions.mjs';
import { pipelineSpecSchema, type ModelRef, type PipelineSpec } from './pipeline-schema.js';

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
  return { ...result.data, models: expandModels(file, result.data.models) };
}

/** For each model of a loaded spec, the index of the entry in the file it came from (`revisions:` makes several of one). */
const entryIndex = new WeakMap<ModelRef, number>();

/** `field 'models[i].<field>'` of the spec entry a (possibly expanded) model came from. */
export function modelField(ref: ModelRef, field: string): string {
  const i = entryIndex.get(ref);
  return i === undefined ? `model '${ref.name}'` : `field 'models[${i}].${field}'`;
}

/**
 * `revisions:` entries expanded into one model per revision (schema/model-revisions.mjs); every
 * model gets its `series` (default: its name). Model names must be unique after expansion.
 */
function expandModels(file: string, models: readonly ModelRef[]): ModelRef[] {
  let expanded: { models: ModelRef[]; sources: number[] };
  try {
    expanded = expandModelRevisions(models);
  } catch (err) {
    if (err instanceof RevisionsError) throw new SpecError(file, [`field 'models[${err.modelIndex}].revisions': ${err.message}`]);
    throw err;
  }
  const seen = new Map<string, number>();
  return expanded.models.map((m, i) => {
    const source = expanded.sources[i];
    const first = seen.get(m.name);
    if (first !== undefined) throw new SpecError(file, [`field 'models[${source}].name': model '${m.name}' is named twice (also by models[${first}])`]);
    seen.set(m.name, source);
    const ref = { ...m, series: m.series ?? m.name };
    entryIndex.set(ref, source);
    return ref;
  });
}

export function loadSpec(file: string): PipelineSpec {
  if (!existsSync(file)) throw new SpecError(file, ['file not found']);
  return parseSpec(file, readFileSync(file, 'utf8'));
}
