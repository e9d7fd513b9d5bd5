// @ts-check
/** Reading a pipeline spec from the Nx plugin and its runtime inputs (plain JS: Nx loads these without a transpiler). */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'yaml';

/**
 * The spec file as written (no defaults filled in), or undefined when it does not parse (the step then reports why).
 * @param {string} file
 * @returns {Record<string, unknown> | undefined}
 */
export function readRawSpec(file) {
  try {
    const text = readFileSync(file, 'utf8');
    const spec = extname(file) === '.json' ? JSON.parse(text) : parse(text);
    return spec && typeof spec === 'object' ? spec : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The model entries of a raw spec whose names can name an Nx project.
 * @param {Record<string, unknown> | undefined} spec
 * @returns {{ name: string; path?: unknown }[]}
 */
export function specModels(spec) {
  const models = Array.isArray(spec?.models) ? spec.models : [];
  return models.filter((/** @type {any} */ m) => m && typeof m.name === 'string' && /^[A-Za-z0-9._-]+$/.test(m.name));
}
