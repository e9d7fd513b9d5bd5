import { hostname } from 'node:os';
import { breakLock, inspectLock, withLockFile } from '../lock-file.js';
import { isProcessAlive } from './durable.js';

export interface KeyLockOptions {
  /** Give up waiting after this long (default 90 s). */
  readonly timeoutMs?: number;
  /**
   * A lock older than this is taken as abandoned even if its holder cannot be checked (another host):
   * locks are held only for a publish or a removal, a few milliseconds (default 30 s).
   */
  readonly staleMs?: number;
}

/**
 * Run `fn` holding the lock file `lockPath` (lock-file.ts). A lock whose holder is a dead process on
 * this host, or that is older than `staleMs` by its modification time, is broken.
 */
export async function withKeyLock<T>(lockPath: string, fn: () => Promise<T>, options: KeyLockOptions = {}): Promise<T> {
  const staleMs = options.staleMs ?? 30_000;
  return withLockFile(lockPath, hostname(), fn, { timeoutMs: options.timeoutMs ?? 90_000, tryBreak: () => breakIfStale(lockPath, staleMs), where: '' });
}

/** Remove `lockPath` if its holder is gone; true if the lock is gone now (retry at once). */
export async function breakIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  const seen = await inspectLock(lockPath);
  if (!seen) return true;
  const deadHolder = seen.host === hostname() && Number.isInteger(seen.pid) && seen.pid > 0 && !isProcessAlive(seen.pid);
  const tooOld = Date.now() - seen.mtimeMs > staleMs;
  if (!deadHolder && !tooOld) return false;
  return breakLock(lockPath, seen.ino, seen.dev);
}
