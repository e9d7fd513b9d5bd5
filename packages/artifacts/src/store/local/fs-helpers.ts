import type { BigIntStats, Dirent } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../../errors.js';
import type { ArtifactVersion } from '../backend.js';

// File helpers shared by the folder backends (local and shared-filesystem), which use one layout.

/** Identity of the two files as seen now: inode, size and mtime (ns) of each, '-' for a missing one. */
export function versionOf(manifest: BigIntStats | undefined, data: BigIntStats | undefined): ArtifactVersion {
  const one = (s: BigIntStats | undefined) => (s ? `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}` : '-');
  return `${one(manifest)}|${one(data)}`;
}

export async function statOrUndefined(path: string): Promise<BigIntStats | undefined> {
  try {
    return await stat(path, { bigint: true });
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

export async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}

export async function readdirOrEmpty(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
    throw err;
  }
}

export async function isOlderThan(path: string, ageMs: number): Promise<boolean> {
  const s = await stat(path).catch(() => undefined);
  return s !== undefined && Date.now() - s.mtimeMs > ageMs;
}

const SHARD = /^[0-9a-f]{2}$/;

/** The shard folders `<root>/<kind>/<key[0:2]>` of one kind, or of every kind. */
export async function* shardFolders(root: string, kind?: string): AsyncIterable<{ readonly kind: string; readonly shard: string; readonly dir: string }> {
  const kinds = kind === undefined ? (await readdirOrEmpty(root)).filter((d) => d.isDirectory()).map((d) => d.name) : [kind];
  for (const k of kinds) {
    for (const shard of await readdirOrEmpty(join(root, k))) {
      if (shard.isDirectory() && SHARD.test(shard.name)) yield { kind: k, shard: shard.name, dir: join(root, k, shard.name) };
    }
  }
}

/**
 * Remove the staged files in `dir` (of `key`, or all) whose writer is gone (`abandoned`: for a name in
 * the backend's staging format; undefined for any other name) or that are older than `maxAgeMs`, and
 * lock files an interrupted lock break moved aside (after a minute). Returns the paths removed.
 */
export async function removeStrayFiles(dir: string, key: string | undefined, abandoned: (name: string, path: string) => boolean | undefined, maxAgeMs: number): Promise<string[]> {
  const removed: string[] = [];
  for (const file of await readdirOrEmpty(dir)) {
    if (key !== undefined && !file.name.startsWith(key)) continue;
    const path = join(dir, file.name);
    const dead = abandoned(file.name, path);
    let stray = false;
    if (dead !== undefined) stray = dead || (await isOlderThan(path, maxAgeMs));
    else if (/\.lock\.stale-\d+-[0-9a-f]+$/.test(file.name)) stray = await isOlderThan(path, 60_000);
    if (stray && (await unlinkIfPresent(path))) removed.push(path);
  }
  return removed;
}
