import type { BigIntStats } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { errnoCode } from '../../errors.js';
import type { ArtifactRef, ArtifactStat, ArtifactVersion, StagedArtifact, StoreBackend, StoredArtifact } from '../backend.js';
import { fsyncDir, isProcessAlive, parseStagingName, publishStaged, stagingName } from './durable.js';
import { breakIfStale, type KeyLockOptions, withKeyLock } from './key-lock.js';
import { isOlderThan, readdirOrEmpty, statOrUndefined, unlinkIfPresent, versionOf } from './fs-helpers.js';

/** Default cache folder, relative to the working directory. */
export const DEFAULT_CACHE_ROOT = '.sinkscope/cache';

/** The cache folder: `root` if given, else `$SINKSCOPE_CACHE`, else `.sinkscope/cache`, made absolute. */
export function resolveCacheRoot(root?: string): string {
  return resolve(root ?? (process.env.SINKSCOPE_CACHE || DEFAULT_CACHE_ROOT));
}

export interface LocalFolderBackendOptions {
  /** Cache folder (see `resolveCacheRoot`). */
  readonly root?: string;
  /** Waiting for and breaking the per-key publish lock. */
  readonly lock?: KeyLockOptions;
  /** Staged files of a live process older than this are strays too (pid reuse; default 24 h). */
  readonly strayMaxAgeMs?: number;
}

const KEY_FILE = /^([0-9a-f]{64})\.json$/;
const SHARD = /^[0-9a-f]{2}$/;

/** Staging files this process is writing right now (never swept as strays). */
const activeStaging = new Set<string>();

/**
 * Artifacts in a local folder: `<root>/<kind>/<key[0:2]>/<key>.arrow` and `<key>.json`.
 * Publishing renames a fsynced staged file into place under `<key>.lock`: data first, then the
 * manifest, each followed by an fsync of the folder. The same code serves a shared filesystem whose
 * rename and O_EXCL create are atomic (NFSv3+, Lustre, CephFS) when all writers run on one host;
 * across hosts a dead writer's staged files and lock are only cleaned by age.
 */
export class LocalFolderBackend implements StoreBackend {
  readonly root: string;
  readonly description: string;
  private readonly lockOptions: KeyLockOptions;
  private readonly strayMaxAgeMs: number;

  constructor(options: LocalFolderBackendOptions = {}) {
    this.root = resolveCacheRoot(options.root);
    this.description = `local folder ${this.root}`;
    this.lockOptions = options.lock ?? {};
    this.strayMaxAgeMs = options.strayMaxAgeMs ?? 24 * 3600_000;
  }

  /** Paths of one artifact's files. */
  paths(ref: ArtifactRef): { dir: string; data: string; manifest: string; lock: string } {
    const dir = join(this.root, ref.kind, ref.key.slice(0, 2));
    return { dir, data: join(dir, `${ref.key}.arrow`), manifest: join(dir, `${ref.key}.json`), lock: join(dir, `${ref.key}.lock`) };
  }

  async stage(ref: ArtifactRef): Promise<StagedArtifact> {
    const { dir } = this.paths(ref);
    await mkdir(dir, { recursive: true });
    await this.removeStrays(dir, ref.key);
    const dataPath = join(dir, stagingName(`${ref.key}.arrow`));
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
      manifestTmp: join(p.dir, stagingName(`${staged.ref.key}.json`)),
      manifestText,
      files: p,
      active: activeStaging,
      withLock: (critical) => withKeyLock(p.lock, critical, this.lockOptions),
    });
  }

  async get(ref: ArtifactRef): Promise<StoredArtifact> {
    const p = this.paths(ref);
    let manifestText: string | undefined;
    let manifestStat: BigIntStats | undefined;
    try {
      const handle = await open(p.manifest, 'r');
      try {
        manifestStat = await handle.stat({ bigint: true });
        manifestText = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    let data;
    try {
      data = await open(p.data, 'r');
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    const dataStat = data ? await data.stat({ bigint: true }) : undefined;
    const version = versionOf(manifestStat, dataStat);
    if (manifestText === undefined && !data) return { state: 'absent' };
    if (manifestText === undefined) {
      await data!.close();
      return { state: 'partial', missing: 'manifest', location: p.manifest, version };
    }
    if (!data) return { state: 'partial', missing: 'data', location: p.data, version };
    return { state: 'present', manifestText, data, dataLocation: p.data, manifestLocation: p.manifest, version };
  }

  async stat(ref: ArtifactRef): Promise<ArtifactStat> {
    const p = this.paths(ref);
    const [data, manifest] = await Promise.all([statOrUndefined(p.data), statOrUndefined(p.manifest)]);
    return { dataBytes: data && Number(data.size), manifestBytes: manifest && Number(manifest.size), modified: manifest?.mtime ?? data?.mtime };
  }

  async delete(ref: ArtifactRef, options: { readonly ifVersion?: ArtifactVersion } = {}): Promise<boolean> {
    const p = this.paths(ref);
    try {
      return await withKeyLock(
        p.lock,
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

  async *list(kind?: string): AsyncIterable<ArtifactRef> {
    const kinds = kind === undefined ? (await readdirOrEmpty(this.root)).filter((d) => d.isDirectory()).map((d) => d.name) : [kind];
    for (const k of kinds) {
      for (const shard of await readdirOrEmpty(join(this.root, k))) {
        if (!shard.isDirectory() || !SHARD.test(shard.name)) continue;
        for (const file of await readdirOrEmpty(join(this.root, k, shard.name))) {
          const m = KEY_FILE.exec(file.name);
          if (m && m[1].startsWith(shard.name)) yield { kind: k, key: m[1] };
        }
      }
    }
  }

  async sweep(): Promise<string[]> {
    const removed: string[] = [];
    for (const kind of await readdirOrEmpty(this.root)) {
      if (!kind.isDirectory()) continue;
      for (const shard of await readdirOrEmpty(join(this.root, kind.name))) {
        if (!shard.isDirectory() || !SHARD.test(shard.name)) continue;
        const dir = join(this.root, kind.name, shard.name);
        removed.push(...(await this.removeStrays(dir)));
        for (const file of await readdirOrEmpty(dir)) {
          if (file.name.endsWith('.lock') && (await breakIfStale(join(dir, file.name), this.lockOptions.staleMs ?? 30_000))) {
            removed.push(join(dir, file.name));
          }
        }
      }
    }
    return removed;
  }

  /**
   * Remove staged files (of `key`, or all) whose writer is dead: its pid does not exist here, or it is
   * this process but no write of ours uses the file, or the file is older than `strayMaxAgeMs`.
   * Also removes lock files moved aside by an interrupted lock break.
   */
  private async removeStrays(dir: string, key?: string): Promise<string[]> {
    const removed: string[] = [];
    for (const file of await readdirOrEmpty(dir)) {
      if (key !== undefined && !file.name.startsWith(key)) continue;
      const path = join(dir, file.name);
      const staging = parseStagingName(file.name);
      let stray = false;
      if (staging) {
        const dead = staging.pid === process.pid ? !activeStaging.has(path) : !isProcessAlive(staging.pid);
        stray = dead || (await isOlderThan(path, this.strayMaxAgeMs));
      } else if (/\.lock\.stale-\d+-[0-9a-f]+$/.test(file.name)) {
        stray = await isOlderThan(path, 60_000);
      }
      if (stray && (await unlinkIfPresent(path))) removed.push(path);
    }
    return removed;
  }
}
