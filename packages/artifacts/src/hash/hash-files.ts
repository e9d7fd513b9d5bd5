import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { ArtifactStoreError, errnoCode } from '../errors.js';
import { sha256OfFileHandle } from './hash-file.js';
import { hashInputs, isSha256Hex, type Sha256Hex } from './hash-inputs.js';

/** One hashed file. */
export interface FileDigest {
  /** The path as resolved (symlinks followed), absolute. */
  readonly path: string;
  /**
   * Base name of the path as given (not of the symlink target, so a Hugging Face snapshot link
   * `model.safetensors -> ../../blobs/<hash>` is named `model.safetensors`): the only part of the path
   * that enters the combined hash.
   */
  readonly name: string;
  readonly size: number;
  readonly sha256: Sha256Hex;
  /** True when the digest came from the file-hash cache instead of reading the file. */
  readonly fromCache: boolean;
}

/** Digests of a set of files (a checkpoint's shards, a dataset's parts) and one hash over all of them. */
export interface FilesDigest {
  /**
   * `hashInputs` of the `{name, sha256}` pairs sorted by name, then digest: the order the paths were
   * given in and the folder they sit in do not matter, so moving a checkpoint keeps its cache hits.
   */
  readonly sha256: Sha256Hex;
  /** One digest per path, in the order given. */
  readonly files: readonly FileDigest[];
}

export interface HashFilesOptions {
  /**
   * JSON file remembering digests by (resolved path, size, mtime, inode), so an unchanged 10 GB
   * checkpoint is not read again on every run. Without it every file is read.
   */
  readonly cachePath?: string;
  /**
   * A file modified less than this many milliseconds before it is hashed is not remembered (default
   * 2000): on filesystems with coarse timestamps a second same-size write in the same tick would
   * otherwise keep the stale digest (git's "racy clean" rule).
   */
  readonly racyWindowMs?: number;
}

const CACHE_FORMAT = 'sinkscope.file-hashes';
const CACHE_VERSION = 1;

interface CacheEntry {
  size: number;
  mtime_ns: string;
  ino: string;
  sha256: Sha256Hex;
}

interface CacheFile {
  format: typeof CACHE_FORMAT;
  version: typeof CACHE_VERSION;
  entries: Record<string, CacheEntry>;
}

/**
 * SHA-256 of each file and of the set (see `FilesDigest.sha256`), reusing remembered digests from
 * `options.cachePath` for files whose size, modification time (ns) and inode are unchanged.
 *
 * The cache trusts that a file whose size and mtime are unchanged has unchanged bytes, the same
 * assumption make and rsync make; an edit that keeps the size and then restores the mtime is not seen.
 * A file that changes while it is being hashed is an error, never a digest.
 */
export async function hashFiles(paths: readonly string[], options: HashFilesOptions = {}): Promise<FilesDigest> {
  const racyWindowMs = options.racyWindowMs ?? 2000;
  const cache = options.cachePath ? await loadCache(options.cachePath) : new Map<string, CacheEntry>();
  const updated = new Map<string, CacheEntry>();
  const files: FileDigest[] = [];
  for (const given of paths) {
    const path = await realpath(given).catch((err: unknown) => {
      throw new ArtifactStoreError(`hashFiles: cannot read ${given}: ${errnoCode(err) ?? String(err)}`, { cause: err });
    });
    const handle = await open(path, 'r');
    try {
      const before = await handle.stat({ bigint: true });
      if (!before.isFile()) throw new ArtifactStoreError(`hashFiles: ${given} is not a regular file`);
      const size = Number(before.size);
      const mtimeNs = before.mtimeNs.toString();
      const ino = before.ino.toString();
      const cached = cache.get(path);
      if (cached && cached.size === size && cached.mtime_ns === mtimeNs && cached.ino === ino) {
        files.push({ path, name: basename(given), size, sha256: cached.sha256, fromCache: true });
        continue;
      }
      const { sha256, bytes } = await sha256OfFileHandle(handle);
      const after = await handle.stat({ bigint: true });
      if (bytes !== size || after.size !== before.size || after.mtimeNs !== before.mtimeNs) {
        throw new ArtifactStoreError(`hashFiles: ${given} changed while it was being hashed; hash it again once it is complete`);
      }
      files.push({ path, name: basename(given), size, sha256, fromCache: false });
      if (Date.now() - Number(before.mtimeMs) >= racyWindowMs) updated.set(path, { size, mtime_ns: mtimeNs, ino, sha256 });
    } finally {
      await handle.close();
    }
  }
  if (options.cachePath && updated.size > 0) await saveCache(options.cachePath, updated);
  const pairs = files.map(({ name, sha256 }) => ({ name, sha256 }));
  pairs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
  return { sha256: hashInputs(pairs), files };
}

/** The remembered digests; a missing or unreadable cache file is an empty cache (it is only a cache). */
async function loadCache(cachePath: string): Promise<Map<string, CacheEntry>> {
  let text: string;
  try {
    text = await readFile(cachePath, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return new Map();
    throw err;
  }
  const entries = new Map<string, CacheEntry>();
  try {
    const parsed = JSON.parse(text) as Partial<CacheFile>;
    if (parsed.format !== CACHE_FORMAT || parsed.version !== CACHE_VERSION || typeof parsed.entries !== 'object' || parsed.entries === null) return entries;
    for (const [path, e] of Object.entries(parsed.entries)) {
      if (e && typeof e.size === 'number' && typeof e.mtime_ns === 'string' && typeof e.ino === 'string' && isSha256Hex(e.sha256)) entries.set(path, e);
    }
  } catch {
    // A torn or hand-edited cache file: start over rather than fail the run.
  }
  return entries;
}

/**
 * Merge `updated` into the cache file and replace it atomically (temp file + rename). Entries are
 * re-read just before writing, so two processes hashing different files both keep theirs (barring an
 * exact overlap, where one set is lost and simply re-hashed next time).
 */
async function saveCache(cachePath: string, updated: ReadonlyMap<string, CacheEntry>): Promise<void> {
  const entries = await loadCache(cachePath);
  for (const [path, e] of updated) entries.set(path, e);
  const sorted: Record<string, CacheEntry> = {};
  for (const path of [...entries.keys()].sort()) sorted[path] = entries.get(path)!;
  const file: CacheFile = { format: CACHE_FORMAT, version: CACHE_VERSION, entries: sorted };
  const tmp = `${cachePath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(dirname(cachePath), { recursive: true });
    await writeFile(tmp, `${JSON.stringify(file, null, 1)}\n`, { flag: 'wx' });
    await rename(tmp, cachePath);
  } catch (err) {
    await rm(tmp, { force: true });
    // the cache only saves re-hashing: a full or read-only disk must not fail the work it serves
    if (['ENOSPC', 'EDQUOT', 'EROFS'].includes(errnoCode(err) ?? '')) return;
    throw err;
  }
}
