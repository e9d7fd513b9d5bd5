import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_MODEL_DIR } from '@sinkscope/pipeline';
import { CliError } from './cli-error.js';

/** The embedded default model (trained by `nx run train-default:train`, committed with its card). */
export { DEFAULT_MODEL_DIR };

/** `default` names the embedded model; anything else is a checkpoint folder. */
export function resolveModelDir(model: string | undefined): string {
  if (!model) throw new CliError('--model is required (a checkpoint folder, or "default")');
  const dir = model === 'default' ? DEFAULT_MODEL_DIR : resolve(model);
  if (!existsSync(dir)) {
    throw new CliError(model === 'default' ? `the default model is missing at ${dir} (run: npx nx run train-default:train)` : `model folder not found: ${model}`);
  }
  return dir;
}
