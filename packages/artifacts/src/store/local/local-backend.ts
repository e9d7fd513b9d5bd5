import type { BigIntStats } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { errnoCode } from '../../errors.js';
import type { ArtifactRef, ArtifactStat, ArtifactVersion, StagedArtifact, StoreBackend, StoredArtifact } from '../backend.js';
import { ActiveStaging, parseStagingName, publishStaged, removePublished, stagingName } from './durable.js';
import { breakIfStale, type KeyLockOptions, withKeyLock } from './key-lock.js';
import { readdirOrEmpty, removeStrayFiles, shardFolders, statOrUndefined, versionOf } from './fs-helpers.js';

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

/** Staging files this process is writing right now (never swept as strays). */
const activeStaging = new ActiveStaging();

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
  protected readonly lockOptions: KeyLockOptions;
  protected readonly strayMaxAgeMs: number;

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
    return activeStaging.stage(ref, join(dir, this.stagingName(`${ref.key}.arrow`)));
  }

  async discard(staged: StagedArtifact): Promise<void> {
    await activeStaging.discard(staged);
  }

  async put(staged: StagedArtifact, manifestText: string): Promise<void> {
    const p = this.paths(staged.ref);
    await publishStaged({
      dataPath: staged.dataPath,
      manifestTmp: join(p.dir, this.stagingName(`${staged.ref.key}.json`)),
      manifestText,
      files: p,
      active: activeStaging,
      withLock: (critical) => this.withLock(p.lock, critical),
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
    return removePublished(p, options.ifVersion, (critical) => this.withLock(p.lock, critical));
  }


  async *list(kind?: string): AsyncIterable<ArtifactRef> {
    for await (const folder of shardFolders(this.root, kind)) {
      for (const file of await readdirOrEmpty(folder.dir)) {
        const m = KEY_FILE.exec(file.name);
        if (m && m[1].startsWith(folder.shard)) yield { kind: folder.kind, key: m[1] };
      }
    }
  }

  /**
   * Remove what dead writers left: staged files and lock files moved aside by an interrupted break
   * (`removeStrays`), and publish locks whose holder is gone (`breakAbandonedLock`). Returns the paths.
   */
  async sweep(): Promise<string[]> {
    const removed: string[] = [];
    for await (const { dir } of shardFolders(this.root)) {
      removed.push(...(await this.removeStrays(dir)));
      for (const file of await readdirOrEmpty(dir)) {
        const path = join(dir, file.name);
        if (file.name.endsWith('.lock') && (await this.breakAbandonedLock(path))) removed.push(path);
      }
    }
    return removed;
  }

  /** Staged files (of `key`, or all) whose writer is dead or that are older than `strayMaxAgeMs`. */
  private removeStrays(dir: string, key?: string): Promise<string[]> {
    return removeStrayFiles(dir, key, (name, path) => this.abandoned(name, path), this.strayMaxAgeMs);
  }

  // What a shared-filesystem backend (shared-fs/) does differently: staging names, the lock, strays.

  /** A private staging name next to `finalName`. */
  protected stagingName(finalName: string): string {
    return stagingName(finalName);
  }

  /** Run `critical` holding the key's publish lock. */
  protected withLock<T>(lockPath: string, critical: () => Promise<T>): Promise<T> {
    return withKeyLock(lockPath, critical, this.lockOptions);
  }

  /**
   * For a staged file's name: whether its writer is dead (its pid does not exist here, or it is this
   * process but no write of ours uses the file); undefined for a name that is no staged file.
   */
  protected abandoned(name: string, path: string): boolean | undefined {
    const staging = parseStagingName(name);
    return staging && this.writerGone(path, staging.pid);
  }

  /** Whether the staged file `path` of process `pid` on this host has no writer any more. */
  protected writerGone(path: string, pid: number): boolean {
    return activeStaging.abandoned(path, pid);
  }

  /** `sweep`: break a publish lock whose holder is gone (dead pid here, or older than `lock.staleMs`). */
  protected breakAbandonedLock(path: string): Promise<boolean> {
    return breakIfStale(path, this.lockOptions.staleMs ?? 30_000);
  }
}
