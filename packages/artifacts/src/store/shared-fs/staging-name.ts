import { randomBytes } from 'node:crypto';

/**
 * Staged files on a shared filesystem carry the writer's host as well as its pid:
 * `<final>.stage-<pid>@<host>-<12 hex>`. A pid means nothing on another host, so only this host's
 * dead writers are recognised at once; others' leftovers are removed by age. The form differs from
 * the local backend's `.tmp-<pid>-<hex>` on purpose: a local backend pointed at the same folder
 * must not take another host's live write for a dead one of its own.
 */
export function hostStagingName(finalName: string, host: string): string {
  return `${finalName}.stage-${process.pid}@${host}-${randomBytes(6).toString('hex')}`;
}

const HOST_STAGING = /^(.+)\.stage-(\d+)@([A-Za-z0-9._-]+)-([0-9a-f]{12})$/;

/** The final name, pid and host of a staged file's name, or undefined for other names. */
export function parseHostStagingName(name: string): { target: string; pid: number; host: string } | undefined {
  const m = HOST_STAGING.exec(name);
  return m ? { target: m[1], pid: Number(m[2]), host: m[3] } : undefined;
}

/** A host name as it may appear in file names and lock files: letters, digits, '.', '_', '-'. */
export function sanitizeHost(host: string): string {
  const clean = host.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  return clean === '' ? 'unknown-host' : clean;
}
