/**
 * Nx runtime input of a pipeline's tasks (nx/plugin.mjs), run as
 *   node --import tsx packages/pipeline/nx/task-inputs.ts <spec file> [model]
 * One hash over what the tasks depend on besides the workspace's files, computed with the package's
 * own hashing (canonical JSON, src/schema/cache-view.ts, the file-hash cache of src/run/paths.ts):
 * - the spec as the cache sees it (no launch fields; for one model's tasks, no report-only fields and
 *   no other models, so adding a model to a sweep recomputes only its tasks);
 * - the content of the checkpoint folders it names (outside the workspace; `org/name@revision` is its
 *   snapshot in the Hugging Face cache): every .json and .safetensors file, read once and remembered
 *   by size and mtime, so a multi-GB checkpoint is read only when it changes.
 * The spec's models are expanded (`revisions:`) first, so `<name>@<revision>` names one of them.
 * Imports only the hashing modules, not the packages' indexes, so Nx pays little for it per task.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hashFiles, hashInputs } from '@sinkscope/artifacts/hash';
import { taskView } from '../src/schema/cache-view.js';
import { fileHashCachePath, locateModel, REPO_ROOT } from '../src/run/paths.js';
import { readRawSpec, specModels } from './read-spec.mjs';

const [specArg, model] = process.argv.slice(2);
const file = resolve(REPO_ROOT, specArg);
const raw = readRawSpec(file);
const models = specModels(raw);
const checkpoints: Record<string, string> = {};
for (const m of models.filter((m) => model === undefined || m.name === model)) {
  let dir = '';
  try {
    // a Hugging Face cache snapshot hashes as the folder it came from: moving the cache keeps the hash
    dir = typeof m.path === 'string' ? locateModel(m.path).dir : '';
  } catch (err) {
    // not there (or half-cached): the step itself reports why; the input changes once it is there
    checkpoints[m.name] = `missing: ${(err as Error).message}`;
    continue;
  }
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
process.stdout.write(hashInputs({ spec: raw ? taskView({ ...raw, models }, model) : { unreadable: file }, checkpoints }));
