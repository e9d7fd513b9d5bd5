import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { ArtifactInputError } from '../../errors.js';
import { isProcessAlive } from '../local/durable.js';
import { LocalFolderBackend } from '../local/local-backend.js';
import { breakLock, inspectLock } from '../lock-file.js';
import { type HostLockOptions, withHostLock } from './host-lock.js';
import { hostStagingName, parseHostStagingName, sanitizeHost } from './staging-name.js';

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
export class SharedFsBackend extends LocalFolderBackend {
  override readonly description: string;
  readonly host: string;
  private readonly fileHost: string;
  private readonly hostLockOptions: HostLockOptions;
  private readonly sweepLockAgeMs: number;

  constructor(options: SharedFsBackendOptions) {
    if (typeof options.root !== 'string' || !isAbsolute(options.root)) {
      throw new ArtifactInputError(`SharedFsBackend: root ${JSON.stringify(options.root)} must be an absolute path (the same on every host)`);
    }
    super({ root: resolve(options.root), strayMaxAgeMs: options.strayMaxAgeMs ?? 24 * 3600_000 });
    this.host = options.host ?? hostname();
    this.fileHost = sanitizeHost(this.host);
    this.description = `shared folder ${this.root} (host ${this.host})`;
    this.hostLockOptions = options.lock ?? {};
    this.sweepLockAgeMs = options.sweepLockAgeMs ?? 10 * 60_000;
  }

  /** Staged files carry the host: `<name>.stage-<pid>@<host>-<hex>`. */
  protected override stagingName(finalName: string): string {
    return hostStagingName(finalName, this.fileHost);
  }

  protected override withLock<T>(lockPath: string, critical: () => Promise<T>): Promise<T> {
    return withHostLock(lockPath, this.host, critical, this.hostLockOptions);
  }

  /** Only this host's writers can be checked; other hosts' staged files go by age. */
  protected override abandoned(name: string, path: string): boolean | undefined {
    const staging = parseHostStagingName(name);
    return staging && staging.host === this.fileHost && this.writerGone(path, staging.pid);
  }

  /** A lock of this host whose pid is gone, or of another host not modified for `sweepLockAgeMs`. */
  protected override async breakAbandonedLock(path: string): Promise<boolean> {
    const seen = await inspectLock(path);
    if (!seen) return false;
    const dead = seen.host === this.host ? !isProcessAlive(seen.pid) : Date.now() - seen.mtimeMs > this.sweepLockAgeMs;
    return dead && (await breakLock(path, seen.ino, seen.dev));
  }
}
