import type { EvalRecord } from '../eval/evaluate.js';
import { createParams, parameterSpecs } from '../model/params.js';
import type { AdamWState } from '../optim/adamw.js';
import { OnnxTrainer } from '../onnx/onnx-trainer.js';
import type { TrainConfig } from './config.js';
import { Trainer, type StepResult } from './trainer.js';

/**
 * What the run loop and checkpoints need from a trainer, whichever engine runs it: the tfjs
 * `Trainer` (the reference) or the `OnnxTrainer`. Same batches, same arithmetic, same files.
 */
export interface TrainingEngine {
  readonly config: TrainConfig;
  /** Updates made so far (= index of the next update). */
  readonly step: number;
  readonly tokensPerStep: number;
  trainStep(): StepResult | Promise<StepResult>;
  evaluate(): EvalRecord | Promise<EvalRecord>;
  /** Host copies of every parameter, by the trainer's names (`parameterSpecs`). */
  parameterValues(): Map<string, Float32Array>;
  optimizerState(): AdamWState;
  dispose(): void | Promise<void>;
}

/**
 * A trainer for `config.engine`, from the recipe's init or from given parameters and AdamW state.
 * `threads`: the onnx engine's ORT intra-op threads (default every core; 1 for bit-identical reruns).
 */
export async function createTrainingEngine(
  config: TrainConfig,
  init: { values?: ReadonlyMap<string, Float32Array>; optimizer?: AdamWState } = {},
  options: { threads?: number } = {},
): Promise<TrainingEngine> {
  if (config.engine === 'onnx') return OnnxTrainer.create(config, init, options.threads !== undefined ? { threads: options.threads } : {});
  const trainer = init.values ? new Trainer(config, createParams(parameterSpecs(config.model, config.initStd), init.values)) : new Trainer(config);
  if (init.optimizer) {
    try {
      trainer.optimizer.importState(init.optimizer);
    } catch (err) {
      trainer.dispose();
      throw err;
    }
  }
  return trainer;
}
