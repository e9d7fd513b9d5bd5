import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ArtifactStoreError, errnoCode } from '../errors.js';

/**
 * The per-key publish lock both folder backends take: a file created with O_EXCL (atomic on local
 * disks and on NFSv3+, Lustre, CephFS) holding `pid host time nonce`, so the local and the shared-fs
 * backend exclude each other on one folder. They differ only in when a holder counts as gone
 * (`tryBreak`: local/key-lock.ts, shared-fs/host-lock.ts).
 */
export interface LockWait {
  /** Give up waiting after this long. */
  readonly timeoutMs: number;
  /** Called while the lock is held by someone else: true when it is gone now (taken again at once). */
  readonly tryBreak: () => Promise<boolean>;
  /** Where the holder runs, for the timeout message ('' or ' on that host'). */
  readonly where: string;
}

/** Run `fn` holding the lock file `lockPath` as `host`; waits with jittered backoff (1 ms doubling to 50 ms). */
export async function withLockFile<T>(lockPath: string, host: string, fn: () => Promise<T>, wait: LockWait): Promise<T> {
  const token = `${process.pid} ${host} ${Date.now()} ${randomBytes(6).toString('hex')}`;
  const started = performance.now();
  for (let delayMs = 1; ; delayMs = Math.min(delayMs * 2, 50)) {
    try {
      await writeFile(lockPath, token, { flag: 'wx' });
      break;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    if (await wait.tryBreak()) continue;
    if (performance.now() - started > wait.timeoutMs) {
      const holder = await readFile(lockPath, 'utf8').catch(() => '?');
      throw new ArtifactStoreError(
        `timed out after ${Math.round(wait.timeoutMs / 1000)} s waiting for ${lockPath} (held by pid/host/time '${holder.trim()}'); if no sinkscope process is running${wait.where}, delete it`,
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
 * check is put back where its holder expects it, so two waiters breaking one lock never remove a
 * fresh one.
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
