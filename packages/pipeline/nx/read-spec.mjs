// @ts-check
/** Reading a pipeline spec from the Nx plugin and its runtime inputs (plain JS: Nx loads these without a transpiler). */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'yaml';
import { expandModelRevisions } from '../src/schema/model-revisions.mjs';

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
 * The models of a raw spec whose names can name an Nx project, with `revisions:` entries expanded
 * into one model per revision (`<name>@<revision>`, as the step runner sees them). An entry that
 * cannot be expanded (`all-cached` of a repo not in the cache) stays one model under its own name:
 * its tasks then fail with the loader's error, naming the cache and what to fetch.
 * @param {Record<string, unknown> | undefined} spec
 * @returns {{ name: string; path?: unknown; series?: unknown; step?: unknown }[]}
 */
export function specModels(spec) {
  const models = (Array.isArray(spec?.models) ? spec.models : []).filter((/** @type {any} */ m) => m && typeof m.name === 'string' && /^[A-Za-z0-9._-]+$/.test(m.name));
  return models.flatMap((/** @type {{ name: string; path?: unknown }} */ m) => {
    try {
      return expandModelRevisions([m]).models;
    } catch {
      return [m];
    }
  });
}
