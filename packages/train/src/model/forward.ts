import * as tf from '@tensorflow/tfjs';
import { conv1d, geluErf, geluTanh, layerNorm, matmul, rmsNorm } from '../engine/ops.js';
import type { ModelConfig } from './config.js';
import type { ModelParams } from './params.js';
import { alibiBias, causalMask, ropeTables, sinusoidalTable } from './positions.js';

/** What a forward pass returns besides the logits (all optional, off in training). */
export interface CaptureOptions {
  /** Keep `hidden_states` as Hugging Face returns them: embeddings, each block's output, ln_f output. */
  readonly hiddenStates?: boolean;
  /** Keep the attention probabilities [B, H, T(query), T(key)] of every layer. */
  readonly attentions?: boolean;
}

export interface ForwardResult {
  /** [B, T, V] (a learnable sink token's row is not included). */
  readonly logits: tf.Tensor3D;
  /** nLayer + 1 tensors [B, T', d]; the last is the final norm's output (HF convention). T' = T + 1 with a sink token (row 0). */
  readonly hiddenStates: tf.Tensor3D[];
  /** nLayer tensors [B, H, T', T']; entries above the diagonal are exactly 0. */
  readonly attentions: tf.Tensor4D[];
  /** With a key/value bias: nLayer tensors [B, H, T', 1], the weight each query gives the extra slot. */
  readonly slotAttentions: tf.Tensor4D[];
}

// Additive causal mask: -1e9 makes exp underflow to exactly 0 after the max-subtraction in softmax,
// as HF's `torch.where(causal, w, finfo.min)` does.
const MASKED = -1e9;

function param(params: ModelParams, name: string): tf.Variable {
  const v = params.get(name);
  if (!v) throw new Error(`forward: parameter '${name}' is missing (have ${params.size} tensors)`);
  return v;
}

function activate(config: ModelConfig, x: tf.Tensor): tf.Tensor {
  switch (config.activation) {
    case 'gelu':
      return geluErf(x);
    case 'gelu_new':
      return geluTanh(x);
    case 'relu':
      return tf.relu(x);
  }
}

function normalize(config: ModelConfig, params: ModelParams, name: string, x: tf.Tensor): tf.Tensor {
  const gain = param(params, `${name}.weight`);
  return config.norm === 'rmsnorm' ? rmsNorm(x, gain, config.layerNormEpsilon) : layerNorm(x, gain, param(params, `${name}.bias`), config.layerNormEpsilon);
}

/** elu(x) + 1: the positive feature map of linear attention (Katharopoulos et al. 2020). */
function eluPlusOne(x: tf.Tensor): tf.Tensor {
  return tf.add(tf.elu(x), 1);
}

/** Causal attention weights from raw scores [B, H, T, slots + T] for the configured operation. */
function attentionWeights(config: ModelConfig, scores: tf.Tensor, T: number, slots: number): tf.Tensor {
  if (config.attention === 'softmax') return tf.softmax(tf.add(scores, causalMask(T, slots, 0, MASKED)));
  const keep = causalMask(T, slots, 1, 0);
  // sigmoid(s) (no normalisation), sigmoid(s) / row sum, or phi(q).phi(k) / row sum (Gu et al. sec. 7).
  const similarity = tf.mul(config.attention === 'elu1' ? scores : tf.sigmoid(scores), keep);
  if (config.attention === 'sigmoid') return similarity;
  return tf.div(similarity, tf.sum(similarity, -1, true));
}

/** One attention sublayer on normalised input a [N, d] (N = B*T): returns [N, d] and the captures. */
function attention(config: ModelConfig, params: ModelParams, i: number, a: tf.Tensor, B: number, T: number) {
  const p = (name: string) => param(params, `transformer.h.${i}.attn.${name}`);
  const d = config.nEmbd;
  const H = config.nHead;
  const hd = d / H;
  const heads = (part: string) => {
    let x = tf.reshape(conv1d(a, p(`c_attn.${part}.weight`), p(`c_attn.${part}.bias`)), [B, T, H, hd]); // [B, T, H, hd]
    if (config.positionEncoding === 'rope' && part !== 'v') {
      const rope = ropeTables(T, hd, config.ropeTheta);
      const rotated = tf.reshape(matmul(tf.reshape(x, [B * T * H, hd]), rope.rotateHalf), [B, T, H, hd]);
      x = tf.add(tf.mul(x, rope.cos), tf.mul(rotated, rope.sin)); //                         [B, T, H, hd]
    }
    return config.attention === 'elu1' && part !== 'v' ? eluPlusOne(x) : x;
  };
  const q = tf.transpose(heads('q'), [0, 2, 1, 3]); //                                      [B, H, T, hd]
  const kT = tf.transpose(heads('k'), [0, 2, 3, 1]); //                                     [B, H, hd, T]
  const v = tf.transpose(heads('v'), [0, 2, 1, 3]); //                                      [B, H, T, hd]
  const scale = config.attention === 'elu1' ? 1 : 1 / Math.sqrt(hd);
  let scores = tf.mul(matmul(q, kT), scale); //                                            [B, H, T, T]
  if (config.positionEncoding === 'alibi') scores = tf.add(scores, alibiBias(H, T));
  const slots = config.kvBias === 'none' ? 0 : 1;
  let slotWeight: tf.Tensor4D | undefined;
  let probs: tf.Tensor4D;
  if (slots === 0) {
    probs = attentionWeights(config, scores, T, 0) as tf.Tensor4D; //                       [B, H, T, T]
  } else {
    // One extra key k* per head, seen by every query (Gu et al. sec. 7), as column 0.
    let sinkKey = tf.reshape(p('sink_k'), [1, H, 1, hd]);
    if (config.attention === 'elu1') sinkKey = eluPlusOne(sinkKey);
    const slotScores = tf.mul(tf.sum(tf.mul(q, sinkKey), -1, true), scale); //             [B, H, T, 1]
    const weights = attentionWeights(config, tf.concat([slotScores, scores], -1), T, 1); //  [B, H, T, 1 + T]
    slotWeight = tf.slice(weights, [0, 0, 0, 0], [B, H, T, 1]) as tf.Tensor4D; //          [B, H, T, 1]
    probs = tf.slice(weights, [0, 0, 0, 1], [B, H, T, T]) as tf.Tensor4D; //               [B, H, T, T]
  }
  let context = matmul(probs, v); //                                                       [B, H, T, hd]
  if (slotWeight && config.kvBias === 'kv') context = tf.add(context, tf.mul(slotWeight, tf.reshape(p('sink_v'), [1, H, 1, hd])));
  const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [B * T, d]); //           [N, d]
  return { out: conv1d(merged, p('c_proj.weight'), p('c_proj.bias')), probs, slotWeight };
}

/**
 * Residual stream after the final norm, [B*T', d], plus captures. GPT-2 (Radford et al. 2019):
 * x = wte[ids] + wpe[pos]; per block x += attn(ln_1(x)); x += mlp(ln_2(x)); out = ln_f(x).
 * The variant fields of ModelConfig switch positions, norms, the attention operation, a learnable
 * sink token and a key/value bias. Call inside tf.tidy (or tf.variableGrads); nothing here is kept.
 */
export function forwardHidden(config: ModelConfig, params: ModelParams, ids: tf.Tensor2D, capture: CaptureOptions = {}) {
  const [B, T] = ids.shape;
  if (T > config.nPositions) throw new Error(`forward: sequence length ${T} exceeds n_positions ${config.nPositions}`);
  const d = config.nEmbd;
  const extra = config.sinkToken ? 1 : 0;
  const Tx = T + extra; // sequence length inside the blocks
  const N = B * Tx;
  const hiddenStates: tf.Tensor3D[] = [];
  const attentions: tf.Tensor4D[] = [];
  const slotAttentions: tf.Tensor4D[] = [];
  const p = (name: string) => param(params, name);

  // Embedding as oneHot @ wte: tf.gather's gradient needs UnsortedSegmentSum, absent on wasm.
  const oneHot = tf.cast(tf.oneHot(tf.reshape(ids, [B * T]), config.vocabSize), 'float32'); //   [B*T, V]
  let x: tf.Tensor = tf.reshape(matmul(oneHot, p('transformer.wte.weight')), [B, T, d]); //     [B, T, d]
  if (config.positionEncoding === 'learned') x = tf.add(x, tf.slice(p('transformer.wpe.weight'), [0, 0], [T, d]));
  if (config.positionEncoding === 'sinusoidal') x = tf.add(x, sinusoidalTable(T, d));
  if (config.sinkToken) x = tf.concat([tf.broadcastTo(tf.reshape(p('transformer.sink_token'), [1, 1, d]), [B, 1, d]), x], 1); // [B, Tx, d]
  x = tf.reshape(x, [N, d]); //                                                               [N, d]
  if (capture.hiddenStates) hiddenStates.push(tf.reshape(x, [B, Tx, d]));

  const pre = config.normPlacement === 'pre';
  for (let i = 0; i < config.nLayer; i++) {
    const h = `transformer.h.${i}`;
    const attn = attention(config, params, i, pre ? normalize(config, params, `${h}.ln_1`, x) : x, B, Tx);
    if (capture.attentions) attentions.push(attn.probs);
    if (capture.attentions && attn.slotWeight) slotAttentions.push(attn.slotWeight);
    x = pre ? tf.add(x, attn.out) : normalize(config, params, `${h}.ln_1`, tf.add(x, attn.out)); //  [N, d]
    const m = pre ? normalize(config, params, `${h}.ln_2`, x) : x; //                           [N, d]
    const up = activate(config, conv1d(m, p(`${h}.mlp.c_fc.weight`), p(`${h}.mlp.c_fc.bias`))); // [N, inner]
    const down = conv1d(up, p(`${h}.mlp.c_proj.weight`), p(`${h}.mlp.c_proj.bias`)); //         [N, d]
    x = pre ? tf.add(x, down) : normalize(config, params, `${h}.ln_2`, tf.add(x, down));
    if (capture.hiddenStates && i < config.nLayer - 1) hiddenStates.push(tf.reshape(x, [B, Tx, d]));
  }
  let out = normalize(config, params, 'transformer.ln_f', x); //                                [N, d]
  if (capture.hiddenStates) hiddenStates.push(tf.reshape(out, [B, Tx, d]));
  if (extra > 0) out = tf.reshape(tf.slice(tf.reshape(out, [B, Tx, d]), [0, extra, 0], [B, T, d]), [B * T, d]); // drop the sink row
  return { out, hiddenStates, attentions, slotAttentions };
}

/** Tied LM head: logits = h @ wte^T, [N, V]. */
function lmHead(params: ModelParams, hidden: tf.Tensor): tf.Tensor {
  return matmul(hidden, tf.transpose(param(params, 'transformer.wte.weight')));
}

/** Full forward pass: logits [B, T, V] and the requested captures. Call inside tf.tidy. */
export function forward(config: ModelConfig, params: ModelParams, ids: tf.Tensor2D, capture: CaptureOptions = {}): ForwardResult {
  const [B, T] = ids.shape;
  const { out, hiddenStates, attentions, slotAttentions } = forwardHidden(config, params, ids, capture);
  const logits = tf.reshape(lmHead(params, out), [B, T, config.vocabSize]) as tf.Tensor3D;
  return { logits, hiddenStates, attentions, slotAttentions };
}

/** Mean next-token cross-entropy (nats) of `targets` [B, T] given `inputs` [B, T]. Call inside tf.tidy. */
export function languageModelLoss(config: ModelConfig, params: ModelParams, inputs: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  const { out } = forwardHidden(config, params, inputs);
  const logProbs = tf.logSoftmax(lmHead(params, out)); //                                     [N, V]
  const targetMask = tf.cast(tf.oneHot(tf.reshape(targets, [-1]), config.vocabSize), 'float32');
  return tf.neg(tf.mean(tf.sum(tf.mul(logProbs, targetMask), -1))) as tf.Scalar;
}
