import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { cachedRevisions, COMMIT_PATTERN, hubCacheDir, parseRepoRef, repoFolderName } from './hf-cache-layout.mjs';

export { allCachedRevisionNames, cachedRevisions, hubCacheDir, isSafeRevision, parseRepoRef, repoFolderName, stepOfRevision } from './hf-cache-layout.mjs';

/**
 * Checkpoints by name from the Hugging Face hub cache, offline: `org/name[@revision]` resolved to
 * its snapshot folder the way huggingface_hub's `try_to_load_from_cache` does (refs/{revision} names
 * the commit; a full commit needs no ref), plus commit prefixes. Nothing is downloaded: what is not
 * cached is an error naming the cache folder searched, the revisions it holds and the command that
 * would fetch the missing one.
 */

/** A model or revision missing from the cache, or a snapshot missing files: one line, for the user. */
export class HubCacheError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubCacheError';
  }
}

/** A repo revision resolved in the cache. */
export interface HubSnapshot {
  readonly repoId: string;
  /** The revision asked for (`main` when none was). */
  readonly revision: string;
  readonly commit: string;
  /** The snapshot folder: snapshots/{commit}. */
  readonly dir: string;
  readonly cacheDir: string;
  readonly repoFolder: string;
}

/** Where a model named on the command line or in a spec lives. */
export type CheckpointLocation =
  | { readonly kind: 'folder'; readonly dir: string }
  | { readonly kind: 'default'; readonly dir: string }
  | ({ readonly kind: 'hub' } & HubSnapshot);

/** The command that would fetch a repo revision into the cache (huggingface_hub's current CLI and its older name). */
export function downloadCommand(repoId: string, revision?: string): string {
  const args = `download ${repoId}${revision !== undefined && revision !== 'main' ? ` --revision ${revision}` : ''}`;
  return `hf ${args} (or: huggingface-cli ${args})`;
}

/** The cached revisions of a repo as a short list for messages: `main (1a2b3c4d5e6f), step1000 (...), 9f8e7d6c5b4a (no ref)`. */
function describeRevisions(repoFolder: string): string {
  const { refs, snapshots } = cachedRevisions(repoFolder);
  const named = refs.filter((r) => snapshots.includes(r.commit)).map((r) => `${r.name} (${r.commit.slice(0, 12)})`);
  const unnamed = snapshots.filter((c) => !refs.some((r) => r.commit === c)).map((c) => `${c.slice(0, 12)} (no ref)`);
  const all = [...named, ...unnamed];
  return all.length ? all.join(', ') : 'none';
}

/** The commit a revision names: a ref file, a full commit with a snapshot, or a unique prefix of a snapshot commit. */
function commitOf(repoId: string, revision: string, repoFolder: string, cacheDir: string): string {
  const refFile = join(repoFolder, 'refs', revision);
  if (existsSync(refFile) && statSync(refFile).isFile()) {
    const commit = readFileSync(refFile, 'utf8').trim();
    if (!COMMIT_PATTERN.test(commit)) throw new HubCacheError(`${refFile}: expected a 40-hex commit hash, found ${JSON.stringify(commit.slice(0, 60))}`);
    return commit;
  }
  const snapshotsDir = join(repoFolder, 'snapshots');
  const snapshots = existsSync(snapshotsDir) ? readdirSync(snapshotsDir) : [];
  if (COMMIT_PATTERN.test(revision) && snapshots.includes(revision)) return revision;
  if (/^[0-9a-f]{4,39}$/.test(revision)) {
    const matches = snapshots.filter((c) => c.startsWith(revision));
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) throw new HubCacheError(`${repoId}@${revision}: the commit prefix matches ${matches.length} cached snapshots (${matches.map((c) => c.slice(0, 12)).join(', ')}) in ${repoFolder}; give more digits`);
  }
  throw new HubCacheError(
    `${repoId}@${revision} is not in the Hugging Face cache ${cacheDir} (${repoFolderName(repoId)} holds: ${describeRevisions(repoFolder)}); nothing is downloaded, fetch it with: ${downloadCommand(repoId, revision)}`,
  );
}

/**
 * The files of a snapshot the loader reads, checked before it opens them so a half-cached revision
 * fails with what to do about it: config.json, the weights (every shard the index lists), and no
 * dangling symlink among the .json / .safetensors files (a blob deleted or never completed).
 */
function checkSnapshotFiles(snap: HubSnapshot): void {
  const at = `${snap.repoId}@${snap.revision} (snapshot ${snap.commit.slice(0, 12)} in ${snap.repoFolder})`;
  const fetch = `fetch it with: ${downloadCommand(snap.repoId, snap.revision)}`;
  for (const name of readdirSync(snap.dir)) {
    if (!/\.(json|safetensors)$/.test(name)) continue;
    const path = join(snap.dir, name);
    if (lstatSync(path).isSymbolicLink() && !existsSync(path)) {
      const target = readlinkSync(path);
      throw new HubCacheError(`${at}: ${name} is a symlink to a missing blob (${isAbsolute(target) ? target : relative(snap.repoFolder, resolve(snap.dir, target))}); the cache was pruned or a download did not finish, ${fetch}`);
    }
  }
  const noExist = (file: string) => existsSync(join(snap.repoFolder, '.no_exist', snap.commit, file));
  if (!existsSync(join(snap.dir, 'config.json'))) {
    throw new HubCacheError(`${at}: ${noExist('config.json') ? 'the repo has no config.json at this commit (recorded in .no_exist)' : 'config.json is not cached'}; ${fetch}`);
  }
  const index = join(snap.dir, 'model.safetensors.index.json');
  if (existsSync(index)) {
    let shards: string[] = [];
    try {
      const weightMap = (JSON.parse(readFileSync(index, 'utf8')) as { weight_map?: Record<string, unknown> }).weight_map;
      shards = [...new Set(Object.values(weightMap ?? {}).filter((s): s is string => typeof s === 'string'))].sort();
    } catch {
      return; // Checkpoint.open reports a malformed index, naming the file and field
    }
    const missing = shards.filter((s) => !existsSync(join(snap.dir, s)));
    if (missing.length) {
      throw new HubCacheError(`${at}: ${shards.length - missing.length} of ${shards.length} weight shards are cached, missing ${missing.join(', ')} (listed in model.safetensors.index.json); ${fetch}`);
    }
    return;
  }
  if (!existsSync(join(snap.dir, 'model.safetensors'))) {
    const other = readdirSync(snap.dir).filter((f) => /\.(bin|pt|pth|gguf)$/.test(f));
    const why = noExist('model.safetensors')
      ? `the repo has no model.safetensors at this commit (recorded in .no_exist)${other.length ? `, only ${other.join(', ')}` : ''}; only safetensors checkpoints are read`
      : `model.safetensors is not cached${other.length ? ` (found ${other.join(', ')}; only safetensors checkpoints are read)` : ''}; ${fetch}`;
    throw new HubCacheError(`${at}: ${why}`);
  }
}

/** `repoId` at `revision` (default `main`) in the hub cache, its snapshot checked; throws a HubCacheError. */
export function resolveHubSnapshot(repoId: string, revision = 'main', options: { cacheDir?: string; folderTried?: string } = {}): HubSnapshot {
  const cacheDir = resolve(options.cacheDir ?? hubCacheDir());
  const repoFolder = join(cacheDir, repoFolderName(repoId));
  if (!existsSync(repoFolder)) {
    const noFolder = options.folderTried !== undefined ? `no folder ${options.folderTried}, and ` : '';
    throw new HubCacheError(
      `${noFolder}${repoId} is not in the Hugging Face cache ${cacheDir} (no ${repoFolderName(repoId)} there; HF_HUB_CACHE / HF_HOME choose the cache); nothing is downloaded, fetch it with: ${downloadCommand(repoId, revision)}`,
    );
  }
  const commit = commitOf(repoId, revision, repoFolder, cacheDir);
  const dir = join(repoFolder, 'snapshots', commit);
  if (!existsSync(dir)) {
    throw new HubCacheError(
      `${repoId}@${revision} names commit ${commit.slice(0, 12)} (refs/${revision}) but its snapshot is not in ${repoFolder} (cached: ${describeRevisions(repoFolder)}); fetch it with: ${downloadCommand(repoId, revision)}`,
    );
  }
  const snap = { repoId, revision, commit, dir, cacheDir, repoFolder };
  checkSnapshotFiles(snap);
  return snap;
}

/**
 * A model as the user names it: `default` (the embedded model, when `defaultDir` is given), a
 * checkpoint folder (relative to `baseDir`), or `org/name[@revision]` in the hub cache. A folder
 * that exists wins over a repo id of the same spelling, as in transformers' `from_pretrained`.
 */
export function locateCheckpoint(text: string, options: { baseDir?: string; defaultDir?: string; cacheDir?: string } = {}): CheckpointLocation {
  if (text === 'default' && options.defaultDir !== undefined) return { kind: 'default', dir: options.defaultDir };
  const dir = resolve(options.baseDir ?? process.cwd(), text);
  const ref = parseRepoRef(text);
  if (ref && !existsSync(dir)) return { kind: 'hub', ...resolveHubSnapshot(ref.repoId, ref.revision ?? 'main', { ...options, folderTried: dir }) };
  if (!existsSync(dir)) throw new HubCacheError(`checkpoint folder not found: ${dir} (a model is a folder, "default", or org/name[@revision] in the Hugging Face cache)`);
  return { kind: 'folder', dir };
}

/** How a location reads in messages and `inspect`: the folder, or `org/name@revision (commit abc123..., <snapshot>)`. */
export function describeLocation(loc: CheckpointLocation): string {
  return loc.kind === 'hub' ? `${loc.repoId}@${loc.revision} (commit ${loc.commit.slice(0, 12)}, ${loc.dir})` : loc.dir;
}
