import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ArtifactStoreError, errnoCode } from '../../errors.js';
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
 * Run `fn` holding the lock file `lockPath` (created with O_EXCL, which is atomic on local disks and
 * on NFSv3+). The lock holds `pid host time nonce`; a lock whose holder is a dead process on this
 * host, or that is older than `staleMs`, is broken. Breaking renames the lock aside first and checks
 * that the file moved is the stale one, so two processes breaking the same stale lock do not also
 * remove the lock one of them then took.
 */
export async function withKeyLock<T>(lockPath: string, fn: () => Promise<T>, options: KeyLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  const staleMs = options.staleMs ?? 30_000;
  const token = `${process.pid} ${hostname()} ${Date.now()} ${randomBytes(6).toString('hex')}`;
  const deadline = Date.now() + timeoutMs;
  for (let delayMs = 1; ; delayMs = Math.min(delayMs * 2, 50)) {
    try {
      await writeFile(lockPath, token, { flag: 'wx' });
      break;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    if (await breakIfStale(lockPath, staleMs)) continue;
    if (Date.now() > deadline) {
      const holder = await readFile(lockPath, 'utf8').catch(() => '?');
      throw new ArtifactStoreError(
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${lockPath} (held by pid/host/time '${holder.trim()}'); if no sinkscope process is running, delete it`,
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

/** Remove `lockPath` if its holder is gone; true if the lock is gone now (retry at once). */
export async function breakIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  let judged;
  let content: string;
  try {
    judged = await stat(lockPath);
    content = await readFile(lockPath, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return true;
    throw err;
  }
  const [pidText, host] = content.split(' ');
  const pid = Number(pidText);
  const deadHolder = host === hostname() && Number.isInteger(pid) && pid > 0 && !isProcessAlive(pid);
  const tooOld = Date.now() - judged.mtimeMs > staleMs;
  if (!deadHolder && !tooOld) return false;
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return true;
    throw err;
  }
  const moved = await stat(aside);
  if (moved.ino !== judged.ino || moved.dev !== judged.dev) {
    // We moved a fresh lock taken after our check: put it back where its holder expects it.
    await link(aside, lockPath).catch(() => undefined);
    await unlink(aside);
    return false;
  }
  await unlink(aside);
  return true;
}
