import type { CheckpointLocation } from '@sinkscope/model-io';
import { DEFAULT_MODEL_DIR, locateModel } from '@sinkscope/pipeline';
import { CliError } from './cli-error.js';

/** The embedded default model (trained by `nx run train-default:train`, committed with its card). */
export { DEFAULT_MODEL_DIR };

export const MODEL_FLAG_HELP = 'a checkpoint folder, "default", or org/name[@revision] in the Hugging Face cache';

/**
 * Where `--model` (or `inspect`'s argument) is: `default`, a checkpoint folder (relative to the
 * working directory), or `org/name[@revision]` in the Hugging Face cache, offline (a folder of that
 * name wins). Not there: one line naming what was searched.
 */
export function locateModelArg(model: string | undefined): CheckpointLocation {
  if (!model) throw new CliError(`--model is required (${MODEL_FLAG_HELP})`);
  return locateModel(model, process.cwd());
}

/** The checkpoint folder `--model` names (a cache snapshot for a repo id). */
export function resolveModelDir(model: string | undefined): string {
  return locateModelArg(model).dir;
}
