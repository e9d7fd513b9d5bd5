import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateCheckpoint, type CheckpointLocation } from '@sinkscope/model-io/hf-cache';

/** The repository root (where nx.json lives). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const DEFAULT_MODEL_DIR = join(REPO_ROOT, 'packages/train/default-model');

/**
 * Where a spec's model `path` is: `default` is the embedded model, `org/name[@revision]` a snapshot
 * in the Hugging Face cache (offline; a folder of that name wins), anything else a folder relative
 * to `baseDir` (default: the repository root). Throws a one-line HubCacheError when it is not there.
 */
export function locateModel(path: string, baseDir = REPO_ROOT): CheckpointLocation {
  const location = locateCheckpoint(path, { baseDir, defaultDir: DEFAULT_MODEL_DIR });
  if (location.kind === 'default' && !existsSync(location.dir)) throw new Error(`the default model is missing at ${location.dir} (run: npx nx run train-default:train)`);
  return location;
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
