// @ts-check
/**
 * The Hugging Face hub cache's layout, read-only and offline: where the cache is, the folder of a repo,
 * and which revisions of it are cached. Plain JS so the Nx plugin (packages/pipeline/nx/plugin.mjs)
 * can expand `revisions: all-cached` without a transpiler; hf-cache.ts resolves a revision to a
 * snapshot folder (with the errors a user sees) on top of this.
 *
 * The layout follows huggingface_hub (constants.py, file_download.py, v0.24-v1.x):
 *   <cache>/models--{org}--{name}/refs/{revision}        a text file holding the commit hash; a revision
 *                                                        may hold slashes (`refs/pr/1` -> refs/refs/pr/1)
 *   <cache>/models--{org}--{name}/snapshots/{commit}/     one folder per cached commit, its files
 *                                                        symlinks into ../../blobs/ (or plain files
 *                                                        where symlinks are off)
 *   <cache>/models--{org}--{name}/.no_exist/{commit}/{f}  empty files: `f` is known to be absent from
 *                                                        the repo at that commit
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** A full commit hash, as snapshot folders are named. */
export const COMMIT_PATTERN = /^[0-9a-f]{40}$/;

/**
 * `org/name` or `org/name@revision`: the repo id as the Hub spells it (letters, digits, `-`, `_`, `.`;
 * a name without an org, like `gpt2`, is not accepted here since it reads as a folder), and a
 * revision that is a branch, a tag, a commit (or a prefix of one) or a `refs/pr/N`.
 */
const REPO_REF = /^([A-Za-z0-9][A-Za-z0-9_.-]*)\/([A-Za-z0-9][A-Za-z0-9_.-]*)(?:@([^@\s]+))?$/;

/** Revision text that cannot leave the refs folder: no empty, `.` or `..` segment, no leading slash. */
export function isSafeRevision(/** @type {string} */ revision) {
  return revision.length > 0 && !revision.startsWith('/') && !revision.split('/').some((s) => s === '' || s === '.' || s === '..');
}

/**
 * `org/name[@revision]` as a repo reference, or null for anything else (a folder path such as
 * `./org/name`, `../x/y`, `/abs` or `a/b/c`).
 * @param {string} text
 * @returns {{ repoId: string; revision: string | undefined } | null}
 */
export function parseRepoRef(text) {
  const m = REPO_REF.exec(text);
  if (!m || m[1].endsWith('.') || m[2] === '.' || m[2] === '..' || m[1].includes('..') || m[2].includes('..')) return null;
  if (m[3] !== undefined && !isSafeRevision(m[3])) return null;
  return { repoId: `${m[1]}/${m[2]}`, revision: m[3] };
}

/**
 * The hub cache folder, as huggingface_hub computes it: `$HF_HUB_CACHE`, else the legacy
 * `$HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else
 * `~/.cache/huggingface/hub` (a leading `~` expanded).
 * @param {Record<string, string | undefined>} [env]
 */
export function hubCacheDir(env = process.env) {
  const home = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
  const dir = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE || join(expandHome(home), 'hub');
  return expandHome(dir);
}

/** @param {string} path */
function expandHome(path) {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** `models--{org}--{name}`: huggingface_hub's repo_folder_name for a model repo. */
export function repoFolderName(/** @type {string} */ repoId) {
  return ['models', ...repoId.split('/')].join('--');
}

/**
 * The revisions of a cached repo: every ref (branch, tag, `refs/pr/N`, or a commit prefix that
 * huggingface_hub recorded) with the commit it names, and every snapshot commit.
 * @param {string} repoFolder
 * @returns {{ refs: { name: string; commit: string }[]; snapshots: string[] }}
 */
export function cachedRevisions(repoFolder) {
  /** @type {{ name: string; commit: string }[]} */
  const refs = [];
  /** @param {string} dir @param {string} prefix */
  const walk = (dir, prefix) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, `${prefix}${entry.name}/`);
      else if (entry.isFile()) refs.push({ name: `${prefix}${entry.name}`, commit: readFileSync(path, 'utf8').trim() });
    }
  };
  const refsDir = join(repoFolder, 'refs');
  if (existsSync(refsDir)) walk(refsDir, '');
  const snapshotsDir = join(repoFolder, 'snapshots');
  const snapshots = existsSync(snapshotsDir) ? readdirSync(snapshotsDir).filter((c) => statSync(join(snapshotsDir, c)).isDirectory()).sort() : [];
  return { refs, snapshots };
}

/** The training step a revision names (`step1000` -> 1000; Pythia's, OLMo's `stage1-step1000-...`), if any. */
export function stepOfRevision(/** @type {string} */ revision) {
  const m = /step(\d+)/.exec(revision);
  return m ? Number(m[1]) : undefined;
}

/**
 * `revisions: all-cached`: one revision name per cached snapshot, each commit once. A commit several
 * refs name goes by the one with a training step (Pythia's `main` is also `step143000`), else `main`,
 * else the first in order; a snapshot no ref names goes by its first 12 hex digits. Ordered by step
 * where every revision has one, else by name.
 * @param {string} repoFolder
 * @returns {string[]}
 */
export function allCachedRevisionNames(repoFolder) {
  const { refs, snapshots } = cachedRevisions(repoFolder);
  /** @type {string[]} */
  const names = [];
  for (const commit of snapshots) {
    const naming = refs.filter((r) => r.commit === commit).map((r) => r.name);
    const pick = naming.find((n) => stepOfRevision(n) !== undefined) ?? naming.find((n) => n === 'main') ?? naming[0];
    names.push(pick ?? commit.slice(0, 12));
  }
  const steps = names.map(stepOfRevision);
  if (steps.every((s) => s !== undefined)) return names.map((n, i) => ({ n, s: /** @type {number} */ (steps[i]) })).sort((a, b) => a.s - b.s || (a.n < b.n ? -1 : 1)).map((x) => x.n);
  return names.sort();
}
