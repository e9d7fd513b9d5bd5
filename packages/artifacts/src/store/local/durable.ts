import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { errnoCode } from '../../errors.js';
import type { ArtifactRef, ArtifactVersion, StagedArtifact } from '../backend.js';
import { statOrUndefined, unlinkIfPresent, versionOf } from './fs-helpers.js';

/**
 * fsync a directory so a rename inside it survives a power cut. Filesystems that cannot open or sync
 * a directory (Windows, some network mounts) are skipped: there the rename is as durable as it gets.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EACCES' && code !== 'ENOTSUP') throw err;
  } finally {
    await handle?.close();
  }
}

/** Write `text` to a new file (failing if it exists) and fsync it before returning. */
export async function writeFileDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  }
  await handle.close();
}

/** A name for a private staging file next to `finalName`: `<finalName>.tmp-<pid>-<random hex>`. */
export function stagingName(finalName: string): string {
  return `${finalName}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

const STAGING_NAME = /^(.+)\.tmp-(\d+)-([0-9a-f]+)$/;

/** The final name and writer pid of a staging file name, or undefined for other names. */
export function parseStagingName(name: string): { target: string; pid: number } | undefined {
  const m = STAGING_NAME.exec(name);
  return m ? { target: m[1], pid: Number(m[2]) } : undefined;
}

/** Whether a process with this pid exists on this machine (EPERM means it exists but is not ours). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/**
 * The staged files one backend's writes in this process are using right now (never swept as strays).
 * A staged file of another process is abandoned when that process is gone.
 */
export class ActiveStaging extends Set<string> {
  /** Track a staged data file for `ref`. */
  stage(ref: ArtifactRef, dataPath: string): StagedArtifact {
    this.add(dataPath);
    return { ref, dataPath };
  }

  /** Remove a staged data file that will not be published. */
  async discard(staged: StagedArtifact): Promise<void> {
    await rm(staged.dataPath, { force: true });
    this.delete(staged.dataPath);
  }

  /** Whether the staged file `path`, written by process `pid` of this host, has no writer any more. */
  abandoned(path: string, pid: number): boolean {
    return pid === process.pid ? !this.has(path) : !isProcessAlive(pid);
  }
}

/** Where a folder backend keeps one artifact: its folder, the final data and manifest files. */
export interface ArtifactFiles {
  readonly dir: string;
  readonly data: string;
  readonly manifest: string;
}

/** Runs `critical` holding an artifact's key lock (local/key-lock.ts, shared-fs/host-lock.ts). */
export type KeyLock = <T>(critical: () => Promise<T>) => Promise<T>;

/**
 * The folder backends' commit: write the manifest durably to `manifestTmp`, then, inside `withLock`
 * (the key's publish lock), rename the staged data and then the manifest into place, each followed by
 * a folder fsync. The manifest goes last, so a reader never finds a manifest without its data. The
 * staged files are tracked in `active` (never swept as strays) and removed whatever happens.
 */
export async function publishStaged(input: {
  readonly dataPath: string;
  readonly manifestTmp: string;
  readonly manifestText: string;
  readonly files: ArtifactFiles;
  readonly active: Set<string>;
  readonly withLock: KeyLock;
}): Promise<void> {
  const { dataPath, manifestTmp, files, active } = input;
  active.add(manifestTmp);
  try {
    await writeFileDurably(manifestTmp, input.manifestText);
    await input.withLock(async () => {
      await rename(dataPath, files.data);
      await fsyncDir(files.dir);
      await rename(manifestTmp, files.manifest);
      await fsyncDir(files.dir);
    });
  } finally {
    await rm(manifestTmp, { force: true });
    await rm(dataPath, { force: true });
    active.delete(manifestTmp);
    active.delete(dataPath);
  }
}

/**
 * The folder backends' delete: inside `withLock`, remove the manifest and then the data (only while
 * they are still `ifVersion`, when given), then fsync the folder. Manifest first: stopped half-way,
 * what is left is a data file without manifest, which no reader sees. True when anything was removed.
 */
export async function removePublished(files: ArtifactFiles, ifVersion: ArtifactVersion | undefined, withLock: KeyLock): Promise<boolean> {
  try {
    return await withLock(async () => {
      if (ifVersion !== undefined) {
        const [manifest, data] = await Promise.all([statOrUndefined(files.manifest), statOrUndefined(files.data)]);
        if (versionOf(manifest, data) !== ifVersion) return false;
      }
      const removedManifest = await unlinkIfPresent(files.manifest);
      const removedData = await unlinkIfPresent(files.data);
      if (removedManifest || removedData) await fsyncDir(files.dir);
      return removedManifest || removedData;
    });
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false; // the folder itself is gone
    throw err;
  }
}
