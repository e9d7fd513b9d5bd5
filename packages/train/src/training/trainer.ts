import * as tf from '@tensorflow/tfjs';
import type { BackcopyBatch } from '../data/backcopy-source.js';
import { createTrainingData, type TrainingData } from '../data/training-data.js';
import { evaluate, lossWeights, type EvalRecord } from '../eval/evaluate.js';
import { languageModelLoss } from '../model/tfjs-forward.js';
import { disposeParams, initParams, paramValues, type ModelParams } from '../model/params.js';
import { AdamW, type AdamWState } from '../optim/adamw.js';
import { learningRateAt } from '../optim/schedule.js';
import type { TrainConfig } from './config.js';
import { heldOutRows, trainingRows } from './batch-rows.js';

/** What one optimizer update reports. */
export interface StepResult {
  /** 0-based index of the update just made. */
  readonly step: number;
  /** Training loss of the batch, before the update. */
  readonly loss: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  readonly lr: number;
}

/**
 * In-memory training state: parameters, AdamW state, the data source (back-copy world or corpus
 * bytes) and the held-out set. `trainStep` makes one update on the batch of the current step; the
 * batch depends only on (data config, seed, step), so a resumed trainer continues the exact same run.
 */
export class Trainer {
  readonly source: TrainingData;
  readonly heldOut: BackcopyBatch;
  readonly optimizer: AdamW;
  private readonly varList: tf.Variable[];

  /** Fresh parameters from `config.seed`, or `params` (taken over: disposed with the trainer). */
  constructor(
    readonly config: TrainConfig,
    readonly params: ModelParams = initParams(config.model, config.seed, config.initStd),
  ) {
    this.source = createTrainingData(config.data);
    this.heldOut = heldOutRows(config, this.source);
    this.optimizer = new AdamW(params, config.optimizer);
    this.varList = [...params.values()];
  }

  /** Number of updates made so far (= index of the next update). */
  get step(): number {
    return this.optimizer.stepCount;
  }

  /** Tokens the model reads per row (sequenceLength - 1, one fewer without BOS). */
  get contextLength(): number {
    return this.config.data.sequenceLength - (this.config.data.firstToken === 'none' ? 2 : 1);
  }

  get tokensPerStep(): number {
    return this.config.batchSize * this.contextLength;
  }

  trainStep(): StepResult {
    const step = this.step;
    const { batchSize, model } = this.config;
    const { inputs, targets, seqLen: T } = trainingRows(this.config, this.source, step);
    const lr = learningRateAt(step, this.config.schedule);
    const inputTensor = tf.tensor2d(inputs, [batchSize, T], 'int32');
    const targetTensor = tf.tensor2d(targets, [batchSize, T], 'int32');
    const weights = lossWeights(model, T);
    const { value, grads } = tf.variableGrads(() => languageModelLoss(model, this.params, inputTensor, targetTensor, weights), this.varList);
    try {
      const loss = value.dataSync()[0];
      if (!Number.isFinite(loss)) throw new Error(`training diverged: loss ${loss} at step ${step}`);
      // variableGrads keys by tf.Variable name (unique per engine); AdamW keys by parameter name.
      const byParam: tf.NamedTensorMap = {};
      for (const [name, v] of this.params) byParam[name] = grads[v.name];
      const gradNorm = this.optimizer.step(byParam, lr);
      return { step, loss, gradNorm, lr };
    } finally {
      tf.dispose([value, inputTensor, targetTensor, ...Object.values(grads)]);
    }
  }

  /** Host copies of every parameter, by name. */
  parameterValues(): Map<string, Float32Array> {
    return paramValues(this.params);
  }

  optimizerState(): AdamWState {
    return this.optimizer.exportState();
  }

  /** Held-out evaluation at the current step. */
  evaluate(): EvalRecord {
    return evaluate(this.config.model, this.params, this.heldOut, this.step);
  }

  dispose(): void {
    this.optimizer.dispose();
    disposeParams(this.params);
  }
}
