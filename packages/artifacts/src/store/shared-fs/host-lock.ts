import { isProcessAlive } from '../local/durable.js';
import { breakLock, inspectLock, withLockFile } from '../lock-file.js';

export interface HostLockOptions {
  /** Give up waiting after this long (default 90 s). */
  readonly timeoutMs?: number;
  /**
   * A lock seen unchanged for this long is taken as abandoned (default 30 s; locks are held for a
   * publish or a removal, milliseconds). Measured on the waiter's own monotonic clock, so clock skew
   * between hosts cannot make a fresh lock look old.
   */
  readonly staleMs?: number;
}

/**
 * Run `fn` holding the lock file `lockPath` (lock-file.ts), for writers on several hosts sharing one
 * filesystem. A holder on this host whose process is gone is broken at once; a holder elsewhere once
 * the lock has stayed unchanged for `staleMs` while we waited.
 */
export async function withHostLock<T>(lockPath: string, host: string, fn: () => Promise<T>, options: HostLockOptions = {}): Promise<T> {
  const staleMs = options.staleMs ?? 30_000;
  let watched: { identity: string; since: number } | undefined;
  const tryBreak = async (): Promise<boolean> => {
    const seen = await inspectLock(lockPath);
    if (seen === undefined) return true; // released meanwhile
    const deadHere = seen.host === host && !isProcessAlive(seen.pid);
    if (watched?.identity !== seen.identity) watched = { identity: seen.identity, since: performance.now() };
    return (deadHere || performance.now() - watched.since > staleMs) && (await breakLock(lockPath, seen.ino, seen.dev));
  };
  return withLockFile(lockPath, host, fn, { timeoutMs: options.timeoutMs ?? 90_000, tryBreak, where: ' on that host' });
}
