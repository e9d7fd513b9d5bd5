import type { BigIntStats, Dirent } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
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
