import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (where nx.json lives). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const DEFAULT_MODEL_DIR = join(REPO_ROOT, 'packages/train/default-model');

/** A spec's model `path`: `default` is the embedded model, anything else a folder relative to the repository root. */
export function checkpointDir(path: string): string {
  return path === 'default' ? DEFAULT_MODEL_DIR : resolve(REPO_ROOT, path);
}

/** The local artifact store folder: `$SINKSCOPE_CACHE`, else the repository's `.sinkscope/cache`. */
export function defaultCacheRoot(): string {
  return process.env.SINKSCOPE_CACHE ?? join(REPO_ROOT, '.sinkscope/cache');
}

/**
 * The file-hash cache (checkpoint file digests remembered by size and mtime): beside a local store,
 * or in the repository's `.sinkscope/` when the store is remote (`$SINKSCOPE_STORE`), since the files
 * hashed are this machine's. The steps and Nx's runtime input (nx/task-inputs.ts) share it.
 */
export function fileHashCachePath(): string {
  return process.env.SINKSCOPE_STORE ? join(REPO_ROOT, '.sinkscope', 'file-hashes.json') : join(resolve(defaultCacheRoot()), 'file-hashes.json');
}

/** Where step receipts go: `$SINKSCOPE_RUNS`, else `.sinkscope/runs`. */
export function defaultRunsRoot(): string {
  return process.env.SINKSCOPE_RUNS ?? join(REPO_ROOT, '.sinkscope', 'runs');
}
