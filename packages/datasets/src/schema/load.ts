import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatasetSpec } from './dataset-schema.js';
import { datasetSpecSchema } from './dataset-schema.js';

/** The repository's `datasets/` folder, where the shipped specs live. */
export const SHIPPED_DATASETS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../datasets');

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Validate a spec object; errors name `where` (the file) and each bad field, with the value found.
 * Relative `source.path` values are resolved against `baseDir` (the spec file's folder).
 */
export function parseDatasetSpec(input: unknown, where: string, baseDir: string = process.cwd()): DatasetSpec {
  const result = datasetSpecSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      const found = valueAt(input, issue.path);
      const foundText = issue.code === 'unrecognized_keys' || found === undefined ? '' : ` (found ${JSON.stringify(found)})`;
      return `${where}: ${field}: ${issue.message}${foundText}`;
    });
    throw new Error(lines.join('\n'));
  }
  const spec = result.data;
  if ('path' in spec.source && !isAbsolute(spec.source.path)) {
    return { ...spec, source: { ...spec.source, path: resolve(baseDir, spec.source.path) } };
  }
  return spec;
}

/** Read and validate a spec file. */
export async function loadDatasetSpec(file: string): Promise<DatasetSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot read the dataset spec (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: is not valid JSON (${(error as Error).message})`);
  }
  return parseDatasetSpec(json, file, dirname(resolve(file)));
}

/** A spec by file path, or by the name of a shipped spec (`moby-dick-64` -> datasets/moby-dick-64.json). */
export async function resolveDatasetSpec(nameOrPath: string): Promise<DatasetSpec> {
  if (existsSync(nameOrPath)) return loadDatasetSpec(nameOrPath);
  const shipped = join(SHIPPED_DATASETS_DIR, `${nameOrPath}.json`);
  if (existsSync(shipped)) return loadDatasetSpec(shipped);
  throw new Error(`dataset spec ${JSON.stringify(nameOrPath)}: no such file, and no shipped spec ${shipped}`);
}
