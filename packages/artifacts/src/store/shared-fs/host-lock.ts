import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ArtifactStoreError, errnoCode } from '../../errors.js';
import { isProcessAlive } from '../local/durable.js';

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
 * Run `fn` holding the lock file `lockPath`, for writers on several hosts sharing one filesystem.
 * The lock is created with O_EXCL (atomic on NFSv3+, Lustre, CephFS) and holds `pid host time nonce`,
 * the same format as the local backend's lock, so the two exclude each other on one folder. A holder
 * on this host whose process is gone is broken at once; a holder elsewhere once the lock has stayed
 * unchanged for `staleMs` while we waited. Breaking renames the lock aside and checks that the file
 * moved is the one judged stale, so two waiters breaking one lock never remove a fresh one.
 */
export async function withHostLock<T>(lockPath: string, host: string, fn: () => Promise<T>, options: HostLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  const staleMs = options.staleMs ?? 30_000;
  const token = `${process.pid} ${host} ${Date.now()} ${randomBytes(6).toString('hex')}`;
  const started = performance.now();
  let watched: { identity: string; since: number } | undefined;
  for (let delayMs = 1; ; delayMs = Math.min(delayMs * 2, 50)) {
    try {
      await writeFile(lockPath, token, { flag: 'wx' });
      break;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    const seen = await inspectLock(lockPath);
    if (seen === undefined) continue; // released meanwhile
    const deadHere = seen.host === host && !isProcessAlive(seen.pid);
    if (watched?.identity !== seen.identity) watched = { identity: seen.identity, since: performance.now() };
    if ((deadHere || performance.now() - watched.since > staleMs) && (await breakLock(lockPath, seen.ino, seen.dev))) continue;
    if (performance.now() - started > timeoutMs) {
      throw new ArtifactStoreError(
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${lockPath} (held by pid/host/time '${seen.content.trim()}'); if no sinkscope process is running on that host, delete it`,
      );
    }
    await sleep(delayMs * (0.5 + Math.random()));
  }
  try {
    return await fn();
  } finally {
    // Remove the lock only if it is still ours (it is not if it was broken as stale meanwhile).
    const current = await readFile(lockPath, 'utf8').catch(() => undefined);
    if (current === token) await rm(lockPath, { force: true });
  }
}

/** The lock's holder and identity (inode, mtime, content), or undefined if it is gone. */
export async function inspectLock(lockPath: string): Promise<{ pid: number; host: string; content: string; identity: string; ino: number; dev: number; mtimeMs: number } | undefined> {
  try {
    const s = await stat(lockPath);
    const content = await readFile(lockPath, 'utf8');
    const [pidText, host = ''] = content.split(' ');
    return { pid: Number(pidText), host, content, identity: `${s.dev}:${s.ino}:${s.mtimeMs}:${content}`, ino: s.ino, dev: s.dev, mtimeMs: s.mtimeMs };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Remove the lock file if it is still the inode judged stale; true if it is gone now. Renames it
 * aside first (atomic within a folder), then checks what was moved: a fresh lock taken after our
 * check is put back.
 */
export async function breakLock(lockPath: string, ino: number, dev: number): Promise<boolean> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return true;
    throw err;
  }
  const moved = await stat(aside);
  if (moved.ino !== ino || moved.dev !== dev) {
    await link(aside, lockPath).catch(() => undefined);
    await unlink(aside);
    return false;
  }
  await unlink(aside);
  return true;
}
