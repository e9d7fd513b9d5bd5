import * as tf from '@tensorflow/tfjs';
import { attentionLayers, forward as sharedForward, hiddenStateHooks, TfjsOps, trainingKernels, type ArchSpec, type HookName } from '@sinkscope/model-io';
import { archOf, type ModelConfig } from './config.js';
import type { ModelParams } from './params.js';
import { fixedPositionTable, trainerWeights } from './weights.js';

/**
 * The trainer's parameters through model-io's one forward pass (forward.ts) on tfjs, with the
 * training kernels (model-io engines/tfjs/tfjs-kernels.ts: differentiable and fast on wasm). Nothing
 * here computes a layer: this file only hands the trainer's variables to the shared forward pass.
 */

/** What a forward pass returns besides the logits (all optional, off in training). */
export interface CaptureOptions {
  /** Keep `hidden_states` as Hugging Face returns them: embeddings, each block's output, ln_f output. */
  readonly hiddenStates?: boolean;
  /** Keep the attention weights [B, H, T, T] of every block that has attention. */
  readonly attentions?: boolean;
}

export interface ForwardResult {
  /** [B, T, V] (a learnable sink token's row is not included). */
  readonly logits: tf.Tensor3D;
  /** nLayer + 1 tensors [B, T', d]; the last is the final norm's output (HF convention). T' = T + 1 with a sink token (row 0). */
  readonly hiddenStates: tf.Tensor3D[];
  /** One tensor [B, H, T', T'] per block with attention (`attentionLayers`); entries above the diagonal are exactly 0. */
  readonly attentions: tf.Tensor4D[];
  /** With a key/value slot: per block with attention [B, H, T', 1], the weight each query gives the slot. */
  readonly slotAttentions: tf.Tensor4D[];
}

const archCache = new Map<string, ArchSpec>();
/** The ArchSpec of a config (model-io's adapter over its config.json), computed once per config. */
export function cachedArch(config: ModelConfig): ArchSpec {
  const key = JSON.stringify(config);
  let arch = archCache.get(key);
  if (!arch) {
    arch = archOf(config);
    archCache.set(key, arch);
  }
  return arch;
}

// A sinusoidal table is a constant, not a parameter: built once per shape and kept for the process.
const fixedTables = new Map<string, tf.Tensor>();
function fixedPositions(arch: ArchSpec, config: ModelConfig): tf.Tensor | undefined {
  const table = fixedPositionTable(arch, config);
  if (!table) return undefined;
  const key = table.shape.join('x');
  let t = fixedTables.get(key);
  if (!t) {
    t = tf.keep(tf.tensor(table.data, [...table.shape], 'float32'));
    fixedTables.set(key, t);
  }
  return t;
}

function param(params: ModelParams, name: string): tf.Variable {
  const v = params.get(name);
  if (!v) throw new Error(`forward: parameter '${name}' is missing (have ${params.size} tensors)`);
  return v;
}

/** Full forward pass: logits [B, T, V] and the requested captures. Call inside tf.tidy (or tf.variableGrads). */
export function forward(config: ModelConfig, params: ModelParams, ids: tf.Tensor2D, capture: CaptureOptions = {}): ForwardResult {
  const arch = cachedArch(config);
  const [, T] = ids.shape;
  if (arch.positional.kind === 'learned' && T > arch.maxPositions) throw new Error(`forward: sequence length ${T} exceeds n_positions ${arch.maxPositions}`);
  const hidden = capture.hiddenStates ? hiddenStateHooks(arch) : [];
  const layers = capture.attentions ? attentionLayers(arch) : [];
  const patterns = layers.map((l): HookName => `blocks.${l}.attn.hook_pattern`);
  const slots = arch.attentionSlot ? layers.map((l): HookName => `blocks.${l}.attn.hook_slot`) : [];
  const ops = new TfjsOps(ids, undefined, new Set([...hidden, ...patterns, ...slots]), new Map(), trainingKernels);
  const positions = fixedPositions(arch, config);
  const weights = trainerWeights<tf.Tensor>(config, { param: (name) => param(params, name), transposed: (w) => tf.transpose(w), ...(positions ? { fixedPositions: positions } : {}) });
  const logits = sharedForward(ops, arch, weights) as tf.Tensor3D;
  const captured = (hooks: readonly HookName[]) => hooks.map((h) => ops.captured.get(h)!);
  return {
    logits,
    hiddenStates: captured(hidden) as tf.Tensor3D[],
    attentions: captured(patterns) as tf.Tensor4D[],
    slotAttentions: captured(slots) as tf.Tensor4D[],
  };
}

/**
 * Mean next-token cross-entropy (nats) of `targets` [B, T] given `inputs` [B, T], over the positions
 * `lossWeights` [T] marks with 1 (all when absent; a prefix-LM leaves out the prefix). Call inside tf.tidy.
 */
export function languageModelLoss(config: ModelConfig, params: ModelParams, inputs: tf.Tensor2D, targets: tf.Tensor2D, lossWeights?: Float32Array): tf.Scalar {
  const { logits } = forward(config, params, inputs);
  const [B, T, V] = logits.shape;
  const logProbs = tf.logSoftmax(tf.reshape(logits, [B * T, V])); //                         [N, V]
  const targetMask = tf.cast(tf.oneHot(tf.reshape(targets, [-1]), config.vocabSize), 'float32');
  const picked = tf.sum(tf.mul(logProbs, targetMask), -1); //                                   [N]
  if (!lossWeights) return tf.neg(tf.mean(picked)) as tf.Scalar;
  const count = lossWeights.reduce((a, b) => a + b, 0) * B;
  return tf.div(tf.neg(tf.sum(tf.mul(tf.reshape(picked, [B, T]), tf.tensor1d(lossWeights)))), count) as tf.Scalar;
}
