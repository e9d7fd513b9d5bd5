// @ts-check
/**
 * `revisions:` on a spec's model entry (issue 21): one repo at several revisions in one line, expanded
 * into one model per revision, named `<name>@<revision>`, with `series: <name>` and `step` from the
 * revision (`step(\d+)`), the input of issue 16's checkpoint-dynamics heatmaps (layer x step).
 * `revisions: all-cached` takes every revision the Hugging Face cache holds (@sinkscope/model-io's
 * hf-cache-layout). Plain JS: the Nx plugin expands a spec as it is written, before validation, into
 * the same model projects the step runner sees after it (schema/load.ts).
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { allCachedRevisionNames, hubCacheDir, parseRepoRef, repoFolderName, stepOfRevision } from '@sinkscope/model-io/hf-cache-layout';

/** A model entry that could not be expanded (`all-cached` of a repo that is not cached): which entry and why. */
export class RevisionsError extends Error {
  /** @param {number} modelIndex @param {string} message */
  constructor(modelIndex, message) {
    super(message);
    this.name = 'RevisionsError';
    this.modelIndex = modelIndex;
  }
}

/**
 * The revisions an entry names: its list, or every cached one for `all-cached`.
 * @param {{ path: string; revisions: readonly string[] | 'all-cached' }} entry
 * @param {number} index
 * @param {string} cacheDir
 * @returns {readonly string[]}
 */
function revisionsOf(entry, index, cacheDir) {
  if (entry.revisions !== 'all-cached') return entry.revisions;
  const ref = parseRepoRef(entry.path);
  if (!ref) throw new RevisionsError(index, `all-cached needs 'path' to be a Hugging Face repo id org/name, got '${entry.path}'`);
  const folder = join(cacheDir, repoFolderName(ref.repoId));
  const names = existsSync(folder) ? allCachedRevisionNames(folder) : [];
  if (names.length === 0) {
    throw new RevisionsError(index, `all-cached: no revision of ${ref.repoId} is in the Hugging Face cache ${cacheDir} (no snapshots in ${repoFolderName(ref.repoId)}); fetch one with: hf download ${ref.repoId} --revision <revision>`);
  }
  return names;
}

/**
 * The model entries with every `revisions:` entry expanded in place (other entries as they are).
 * Works on entries as written (the Nx plugin) and as validated (the loader).
 * @template {{ name: string; path?: unknown; revisions?: unknown; series?: unknown; step?: unknown }} M
 * @param {readonly M[]} models
 * @param {{ cacheDir?: string }} [options]
 * @returns {{ models: M[]; sources: number[] }} the expanded entries and, for each, the index of the entry it came from
 */
export function expandModelRevisions(models, options = {}) {
  /** @type {M[]} */
  const out = [];
  /** @type {number[]} */
  const sources = [];
  models.forEach((entry, index) => {
    const { revisions, ...rest } = /** @type {M & { revisions?: readonly string[] | 'all-cached' }} */ (entry);
    if (revisions === undefined || typeof entry.path !== 'string') {
      out.push(entry);
      sources.push(index);
      return;
    }
    const repo = parseRepoRef(entry.path)?.repoId ?? entry.path;
    for (const revision of revisionsOf({ path: entry.path, revisions }, index, options.cacheDir ?? hubCacheDir())) {
      const step = stepOfRevision(revision);
      out.push(/** @type {M} */ ({ ...rest, name: `${entry.name}@${revision}`, path: `${repo}@${revision}`, series: entry.series ?? entry.name, ...(step !== undefined ? { step } : {}) }));
      sources.push(index);
    }
  });
  return { models: out, sources };
}

/**
 * A model name as one path segment (receipt folders, Nx project roots, Slurm job and log names): a
 * revision may hold slashes (`refs/pr/1`), written `%2F` as in a URL.
 * @param {string} name
 */
export function modelPathSegment(name) {
  return name.replaceAll('/', '%2F');
}
