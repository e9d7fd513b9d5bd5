/**
 * Nx runtime input of a pipeline's tasks (nx/plugin.mjs), run as
 *   node --import tsx packages/pipeline/nx/task-inputs.ts <spec file> [model]
 * One hash over what the tasks depend on besides the workspace's files, computed with the package's
 * own hashing (canonical JSON, src/schema/cache-view.ts, the file-hash cache of src/run/paths.ts):
 * - the spec as the cache sees it (no launch fields; for one model's tasks, no report-only fields and
 *   no other models, so adding a model to a sweep recomputes only its tasks);
 * - the content of the checkpoint folders it names (outside the workspace): every .json and
 *   .safetensors file, read once and remembered by size and mtime, so a multi-GB checkpoint is read
 *   only when it changes.
 * Imports only the hashing modules, not the packages' indexes, so Nx pays little for it per task.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hashFiles, hashInputs } from '@sinkscope/artifacts/hash';
import { taskView } from '../src/schema/cache-view.js';
import { checkpointDir, fileHashCachePath, REPO_ROOT } from '../src/run/paths.js';
import { readRawSpec, specModels } from './read-spec.mjs';

const [specArg, model] = process.argv.slice(2);
const file = resolve(REPO_ROOT, specArg);
const raw = readRawSpec(file);
const checkpoints: Record<string, string> = {};
for (const m of specModels(raw).filter((m) => model === undefined || m.name === model)) {
  const dir = typeof m.path === 'string' ? checkpointDir(m.path) : '';
  if (!dir || !existsSync(dir)) {
    checkpoints[m.name] = `missing ${dir}`;
    continue;
  }
  const files = readdirSync(dir)
    .sort()
    .filter((f) => /\.(json|safetensors)$/.test(f) && statSync(join(dir, f)).isFile())
    .map((f) => join(dir, f));
  checkpoints[m.name] = (await hashFiles(files, { cachePath: fileHashCachePath() })).sha256;
}
process.stdout.write(hashInputs({ spec: raw ? taskView(raw, model) : { unreadable: file }, checkpoints }));
