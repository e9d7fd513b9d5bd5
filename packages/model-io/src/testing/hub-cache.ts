import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoFolderName } from '../checkpoint/hf-cache-layout.mjs';

/** One cached commit of a fake repo: the folder its files come from, the refs naming it, files left out. */
export interface FakeSnapshot {
  /** A checkpoint folder (e.g. a shared fixture); its `expected*` golden files are not part of the repo. */
  readonly source: string;
  /** Branches, tags or `refs/pr/N` naming this commit (none: a commit-hash-only snapshot). */
  readonly refs?: readonly string[];
  /** Files not linked into the snapshot (a partial download). */
  readonly omit?: readonly string[];
  /** Files linked to a blob that does not exist (a pruned cache). */
  readonly dangling?: readonly string[];
  /** The commit hash (default: derived from the repo, the source and the refs). */
  readonly commit?: string;
}

/**
 * A hub cache laid out as huggingface_hub writes it, for tests: blobs named by content hash and shared
 * between snapshots, snapshot files as relative symlinks `../../blobs/<hash>`, refs files holding the
 * commit without a newline. Returns each snapshot's commit, in order.
 */
export function writeFakeHubCache(cacheDir: string, repoId: string, snapshots: readonly FakeSnapshot[]): { repoFolder: string; commits: string[] } {
  const repoFolder = join(cacheDir, repoFolderName(repoId));
  const blobs = join(repoFolder, 'blobs');
  mkdirSync(blobs, { recursive: true });
  const commits = snapshots.map((snap, i) => {
    const commit = snap.commit ?? createHash('sha1').update(`${repoId}\0${snap.source}\0${i}\0${(snap.refs ?? []).join(',')}`).digest('hex');
    const dir = join(repoFolder, 'snapshots', commit);
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(snap.source).sort()) {
      const from = join(snap.source, name);
      if (name.startsWith('expected') || !statSync(from).isFile() || snap.omit?.includes(name)) continue;
      const bytes = readFileSync(from);
      const blob = createHash('sha256').update(bytes).digest('hex');
      if (!snap.dangling?.includes(name) && !existsSync(join(blobs, blob))) writeFileSync(join(blobs, blob), bytes);
      symlinkSync(join('..', '..', 'blobs', snap.dangling?.includes(name) ? `${blob}-pruned` : blob), join(dir, name));
    }
    for (const ref of snap.refs ?? []) {
      const file = join(repoFolder, 'refs', ref);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, commit);
    }
    return commit;
  });
  return { repoFolder, commits };
}

/** Record `file` as absent from the repo at `commit` (huggingface_hub's `.no_exist` marker). */
export function markNoExist(repoFolder: string, commit: string, file: string): void {
  mkdirSync(join(repoFolder, '.no_exist', commit), { recursive: true });
  writeFileSync(join(repoFolder, '.no_exist', commit, file), '');
}
