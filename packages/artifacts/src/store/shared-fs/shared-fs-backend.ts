import { mkdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ArtifactInputError, errnoCode } from '../../errors.js';
import type { ArtifactRef, ArtifactStat, ArtifactVersion, StagedArtifact, StoreBackend, StoredArtifact } from '../backend.js';
import { fsyncDir, isProcessAlive, publishStaged } from '../local/durable.js';
import { LocalFolderBackend } from '../local/local-backend.js';
import { breakLock, type HostLockOptions, inspectLock, withHostLock } from './host-lock.js';
import { hostStagingName, parseHostStagingName, sanitizeHost } from './staging-name.js';
import { isOlderThan, readdirOrEmpty, statOrUndefined, unlinkIfPresent, versionOf } from '../local/fs-helpers.js';

export interface SharedFsBackendOptions {
  /** The shared folder (absolute), mounted at the same path on every host, e.g. `/lustre/team/sinkscope`. */
  readonly root: string;
  /** Waiting for and breaking the per-key publish lock. */
  readonly lock?: HostLockOptions;
  /** Staged files of other hosts (or of a live pid here) older than this are strays (default 24 h). */
  readonly strayMaxAgeMs?: number;
  /**
   * `sweep` breaks a lock of another host whose modification time is older than this (default
   * 10 min: far beyond a publish and any sane clock skew between hosts).
   */
  readonly sweepLockAgeMs?: number;
  /** This host's name in locks and staged files (default `os.hostname()`; must differ between hosts). */
  readonly host?: string;
}

const SHARD = /^[0-9a-f]{2}$/;

/** Staged files this process is writing right now (never swept as strays). */
const activeStaging = new Set<string>();

/**
 * Artifacts on a filesystem shared by several hosts (NFSv3+, Lustre, CephFS, GPFS), in the local
 * backend's layout (`<root>/<kind>/<key[0:2]>/<key>.arrow` + `<key>.json`), so either backend reads
 * the other's artifacts. What changes for several hosts:
 *
 * - the publish lock `<key>.lock` is judged across hosts: a holder on this host whose process is gone
 *   is broken at once, any other only after it stayed unchanged for `lock.staleMs` while we waited
 *   (no comparison of one host's clock with another's);
 * - staged files carry the host (`<key>.arrow.stage-<pid>@<host>-<hex>`), so no host mistakes another
 *   host's live write for a dead writer of its own;
 * - every rename stays inside the artifact's folder (atomic on these filesystems), followed by an
 *   fsync of the folder (an NFS COMMIT).
 *
 * Reads keep the open file handle that was verified: on NFS a file replaced or removed while open
 * stays readable through that handle (the client's "silly rename"), so the store parses what it checked.
 */
export class SharedFsBackend implements StoreBackend {
  readonly root: string;
  readonly description: string;
  readonly host: string;
  private readonly fileHost: string;
  private readonly lockOptions: HostLockOptions;
  private readonly strayMaxAgeMs: number;
  private readonly sweepLockAgeMs: number;
  /** Same layout: listing and sizes need nothing host-specific. */
  private readonly reader: LocalFolderBackend;

  constructor(options: SharedFsBackendOptions) {
    if (typeof options.root !== 'string' || !isAbsolute(options.root)) {
      throw new ArtifactInputError(`SharedFsBackend: root ${JSON.stringify(options.root)} must be an absolute path (the same on every host)`);
    }
    this.root = resolve(options.root);
    this.host = options.host ?? hostname();
    this.fileHost = sanitizeHost(this.host);
    this.description = `shared folder ${this.root} (host ${this.host})`;
    this.lockOptions = options.lock ?? {};
    this.strayMaxAgeMs = options.strayMaxAgeMs ?? 24 * 3600_000;
    this.sweepLockAgeMs = options.sweepLockAgeMs ?? 10 * 60_000;
    this.reader = new LocalFolderBackend({ root: this.root });
  }

  /** Paths of one artifact's files (the local backend's layout). */
  paths(ref: ArtifactRef): { dir: string; data: string; manifest: string; lock: string } {
    return this.reader.paths(ref);
  }

  async stage(ref: ArtifactRef): Promise<StagedArtifact> {
    const { dir } = this.paths(ref);
    await mkdir(dir, { recursive: true });
    await this.removeStrays(dir, ref.key);
    const dataPath = join(dir, hostStagingName(`${ref.key}.arrow`, this.fileHost));
    activeStaging.add(dataPath);
    return { ref, dataPath };
  }

  async discard(staged: StagedArtifact): Promise<void> {
    await rm(staged.dataPath, { force: true });
    activeStaging.delete(staged.dataPath);
  }

  async put(staged: StagedArtifact, manifestText: string): Promise<void> {
    const p = this.paths(staged.ref);
    await publishStaged({
      dataPath: staged.dataPath,
      manifestTmp: join(p.dir, hostStagingName(`${staged.ref.key}.json`, this.fileHost)),
      manifestText,
      files: p,
      active: activeStaging,
      withLock: (critical) => withHostLock(p.lock, this.host, critical, this.lockOptions),
    });
  }

  /** Same layout and the same read: the local backend's `get` (the verified handle stays readable on NFS). */
  async get(ref: ArtifactRef): Promise<StoredArtifact> {
    return this.reader.get(ref);
  }

  async stat(ref: ArtifactRef): Promise<ArtifactStat> {
    return this.reader.stat(ref);
  }

  async delete(ref: ArtifactRef, options: { readonly ifVersion?: ArtifactVersion } = {}): Promise<boolean> {
    const p = this.paths(ref);
    try {
      return await withHostLock(
        p.lock,
        this.host,
        async () => {
          if (options.ifVersion !== undefined) {
            const [manifest, data] = await Promise.all([statOrUndefined(p.manifest), statOrUndefined(p.data)]);
            if (versionOf(manifest, data) !== options.ifVersion) return false;
          }
          // Manifest first: if we stop half-way, what is left is a data file without manifest (invisible).
          const removedManifest = await unlinkIfPresent(p.manifest);
          const removedData = await unlinkIfPresent(p.data);
          if (removedManifest || removedData) await fsyncDir(p.dir);
          return removedManifest || removedData;
        },
        this.lockOptions,
      );
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false; // the folder itself is gone
      throw err;
    }
  }

  list(kind?: string): AsyncIterable<ArtifactRef> {
    return this.reader.list(kind);
  }

  /**
   * Remove staged files of dead writers (this host: pid gone; other hosts: older than
   * `strayMaxAgeMs`), locks left by dead holders (this host: pid gone; other hosts: not modified for
   * `sweepLockAgeMs`) and locks moved aside by an interrupted break. Returns the paths removed.
   */
  async sweep(): Promise<string[]> {
    const removed: string[] = [];
    for (const kind of await readdirOrEmpty(this.root)) {
      if (!kind.isDirectory()) continue;
      for (const shard of await readdirOrEmpty(join(this.root, kind.name))) {
        if (!shard.isDirectory() || !SHARD.test(shard.name)) continue;
        const dir = join(this.root, kind.name, shard.name);
        removed.push(...(await this.removeStrays(dir)));
        for (const file of await readdirOrEmpty(dir)) {
          if (!file.name.endsWith('.lock')) continue;
          const path = join(dir, file.name);
          const seen = await inspectLock(path);
          if (!seen) continue;
          const dead = seen.host === this.host ? !isProcessAlive(seen.pid) : Date.now() - seen.mtimeMs > this.sweepLockAgeMs;
          if (dead && (await breakLock(path, seen.ino, seen.dev))) removed.push(path);
        }
      }
    }
    return removed;
  }

  /** Remove staged files (of `key`, or all) whose writer is dead, and lock files left aside by a break. */
  private async removeStrays(dir: string, key?: string): Promise<string[]> {
    const removed: string[] = [];
    for (const file of await readdirOrEmpty(dir)) {
      if (key !== undefined && !file.name.startsWith(key)) continue;
      const path = join(dir, file.name);
      const staging = parseHostStagingName(file.name);
      let stray = false;
      if (staging) {
        const here = staging.host === this.fileHost;
        const dead = here && (staging.pid === process.pid ? !activeStaging.has(path) : !isProcessAlive(staging.pid));
        stray = dead || (await isOlderThan(path, this.strayMaxAgeMs));
      } else if (/\.lock\.stale-\d+-[0-9a-f]+$/.test(file.name)) {
        stray = await isOlderThan(path, 60_000);
      }
      if (stray && (await unlinkIfPresent(path))) removed.push(path);
    }
    return removed;
  }
}
