import * as tf from '@tensorflow/tfjs';
import type { Activation, NormKind, RotaryScheme } from '../../arch-spec.js';
import { attentionMask } from '../../forward/attention-mask.js';
import type { AttentionScores, ForwardOps } from '../../forward/ops.js';
import { alibiBias, rotaryTables } from '../../forward/position-tables.js';
import type { HookName } from '../../hooks.js';
import type { Linear, Norm } from '../../weights.js';
import { inferenceKernels, type TfjsKernels } from './tfjs-kernels.js';

/** Replace an activation at a hook point; must return a tensor of the same shape. */
export type TfIntervention = (x: tf.Tensor, hook: HookName) => tf.Tensor;

/** elu(x) + 1: the positive feature map of linear attention (Katharopoulos et al. 2020). */
function eluPlusOne(x: tf.Tensor): tf.Tensor {
  return tf.add(tf.elu(x), tf.scalar(1));
}

/** Large negative added to masked scores: exp underflows to exactly 0, as transformers' finfo.min does. */
const MASKED = -1e9;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Eager tfjs implementation of the forward ops for one batch. Every tensor it creates lives inside
 * the caller's tf.tidy; captured hooks are collected in `captured` and returned from that tidy.
 * With `trainingKernels` the same ops run under tf.variableGrads on the wasm backend (@sinkscope/train).
 */
export class TfjsOps implements ForwardOps<tf.Tensor, tf.Tensor> {
  readonly captured = new Map<HookName, tf.Tensor>();
  private readonly batch: number;
  private readonly seqLen: number;
  private readonly rotaryCache = new Map<string, { cos: tf.Tensor; sin: tf.Tensor }>();

  constructor(
    /** [B,T] int32 token ids. */
    private readonly ids: tf.Tensor2D,
    /** Real tokens per sequence (right padding beyond); undefined = all full length. */
    private readonly lengths: readonly number[] | undefined,
    private readonly capture: ReadonlySet<HookName>,
    private readonly interventions: ReadonlyMap<HookName, TfIntervention>,
    private readonly kernels: TfjsKernels = inferenceKernels,
  ) {
    [this.batch, this.seqLen] = ids.shape;
  }

  embedTokens(table: tf.Tensor, scale: number): tf.Tensor {
    const x = this.kernels.embeddingRows(table, this.ids); // [B,T,d]
    return scale === 1 ? x : tf.mul(x, tf.scalar(scale));
  }

  embedPositions(table: tf.Tensor, offset: number): tf.Tensor {
    return tf.expandDims(this.kernels.positionRows(table, offset, this.seqLen), 0); // [1,T,d]
  }

  add(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.add(a, b);
  }

  mul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.mul(a, b);
  }

  linear(x: tf.Tensor, { w, b }: Linear<tf.Tensor>): tf.Tensor {
    const [inDim, outDim] = w.shape;
    const rows = x.size / inDim;
    let y = this.kernels.matMul2d(tf.reshape(x, [rows, inDim]), w); // untransposed: fast on wasm
    if (b) y = tf.add(y, b);
    return tf.reshape(y, [...x.shape.slice(0, -1), outDim]);
  }

  norm(x: tf.Tensor, { g, b }: Norm<tf.Tensor>, kind: NormKind, eps: number): tf.Tensor {
    const axis = x.rank - 1;
    if (kind === 'rmsnorm') {
      const ms = tf.mean(tf.square(x), axis, true);
      return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, tf.scalar(eps)))), g);
    }
    const { mean, variance } = tf.moments(x, axis, true); // biased variance, as torch's LayerNorm
    const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, tf.scalar(eps))));
    return b ? tf.add(tf.mul(normed, g), b) : tf.mul(normed, g);
  }

  activation(x: tf.Tensor, kind: Activation): tf.Tensor {
    switch (kind) {
      case 'relu':
        return tf.relu(x);
      case 'silu':
        return tf.mul(x, tf.sigmoid(x));
      case 'gelu': // exact: x/2 (1 + erf(x / sqrt 2))
        return this.kernels.geluErf(x);
      case 'gelu_tanh': {
        // x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))  (Hendrycks & Gimpel; transformers' gelu_new)
        const inner = tf.mul(tf.scalar(SQRT_2_OVER_PI), tf.add(x, tf.mul(tf.scalar(0.044715), tf.pow(x, tf.scalar(3)))));
        return tf.mul(tf.mul(x, tf.scalar(0.5)), tf.add(tf.scalar(1), tf.tanh(inner)));
      }
    }
  }

  splitHeads(x: tf.Tensor, heads: number, headDim: number): tf.Tensor {
    return tf.reshape(x, [this.batch, x.shape[1] as number, heads, headDim]); // rows = tokens (+ a sink token)
  }

  private rotaryTable(rows: number, scheme: RotaryScheme): { cos: tf.Tensor; sin: tf.Tensor } {
    const key = `${rows}/${JSON.stringify(scheme)}`;
    let table = this.rotaryCache.get(key);
    if (!table) {
      const { rotaryDim } = scheme;
      const { cos, sin } = rotaryTables(rows, scheme);
      table = { cos: tf.tensor4d(cos, [1, rows, 1, rotaryDim]), sin: tf.tensor4d(sin, [1, rows, 1, rotaryDim]) };
      this.rotaryCache.set(key, table);
    }
    return table;
  }

  rotary(x: tf.Tensor, scheme: RotaryScheme): tf.Tensor {
    const headDim = x.shape[3] as number;
    const { rotaryDim } = scheme;
    const { cos, sin } = this.rotaryTable(x.shape[1] as number, scheme); // rows = tokens (+ a sink token)
    const half = rotaryDim / 2;
    const rot = rotaryDim === headDim ? x : tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, rotaryDim]);
    const x1 = tf.slice(rot, [0, 0, 0, 0], [-1, -1, -1, half]);
    const x2 = tf.slice(rot, [0, 0, 0, half], [-1, -1, -1, half]);
    const rotated = tf.add(tf.mul(rot, cos), tf.mul(tf.concat([tf.neg(x2), x1], 3), sin)); // x cos + rotate_half(x) sin
    if (rotaryDim === headDim) return rotated;
    return tf.concat([rotated, tf.slice(x, [0, 0, 0, rotaryDim], [-1, -1, -1, headDim - rotaryDim])], 3);
  }

  /** [B,T,Hkv,hd] -> [B,H,T,hd], kv head j repeated for query heads j*g..(j+1)*g-1 (repeat_interleave). */
  private headsFirst(x: tf.Tensor, queryHeads: number): tf.Tensor {
    const [b, t, kvHeads, hd] = x.shape as [number, number, number, number];
    const y = tf.transpose(x, [0, 2, 1, 3]); // [B,Hkv,T,hd]
    if (kvHeads === queryHeads) return y;
    const groups = queryHeads / kvHeads;
    return tf.reshape(tf.tile(tf.expandDims(y, 2), [1, 1, groups, 1, 1]), [b, queryHeads, t, hd]);
  }

  /**
   * Additive mask [B|1, 1, T, slots + T] of `rows` query rows: causal (+ window, prefix-LM, sink rows;
   * `keyVisible`) over the real keys, 0 for `slots` leading extra keys every query sees, plus key padding.
   */
  private maskTensor(scores: AttentionScores, rows: number, slots = 0): tf.Tensor {
    const keys = attentionMask(rows, scores, 0, MASKED);
    const width = slots + rows;
    const causal = new Float32Array(rows * width);
    for (let t = 0; t < rows; t++) causal.set(keys.subarray(t * rows, (t + 1) * rows), t * width + slots);
    let mask: tf.Tensor = tf.tensor4d(causal, [1, 1, rows, width]);
    if (this.lengths) {
      const pad = new Float32Array(this.batch * width);
      const first = slots + (scores.sinkRows ?? 0); // key column of each sequence's first token
      this.lengths.forEach((len, i) => pad.fill(MASKED, i * width + first + len, (i + 1) * width));
      mask = tf.add(mask, tf.tensor4d(pad, [this.batch, 1, 1, width]));
    }
    return mask;
  }

  /** q [B,T,H,hd] -> [B,H,T,hd] and k [B,T,Hkv,hd] -> [B,H,hd,T], through elu(x) + 1 for linear attention. */
  private headsForScores(q: tf.Tensor, k: tf.Tensor, op: AttentionScores['op']): { qh: tf.Tensor; kT: tf.Tensor } {
    const heads = q.shape[2] as number;
    const feature = (x: tf.Tensor) => (op === 'elu1' ? eluPlusOne(x) : x);
    const qh = tf.transpose(feature(q), [0, 2, 1, 3]); // [B,H,T,hd]
    const kT = tf.transpose(this.headsFirst(feature(k), heads), [0, 1, 3, 2]); // [B,H,hd,T], explicit: transposeB is slow on wasm
    return { qh, kT };
  }

  /**
   * Weights from scaled scores [B,H,T,C] and the additive mask (0 / -1e9): softmax, raw or
   * normalised sigmoid, or normalised linear-attention scores (Gu et al. 2025, sec. 7). Masked
   * entries of the non-softmax ops are multiplied by exactly 0.
   */
  private weights(scores: tf.Tensor, mask: tf.Tensor, op: AttentionScores['op']): tf.Tensor {
    if (op === undefined || op === 'softmax') return tf.softmax(tf.add(scores, mask));
    const keep = tf.cast(tf.equal(mask, tf.scalar(0)), 'float32');
    const similarity = tf.mul(op === 'elu1' ? scores : tf.sigmoid(scores), keep);
    return op === 'sigmoid' ? similarity : tf.div(similarity, tf.sum(similarity, -1, true));
  }

  /**
   * ALiBi on scaled scores [B,H,T,T] (Press et al. 2022): slope_h x key position (transformers' bloom
   * form), or slope_h x (key - query position) when the weights are not a softmax over the keys alone
   * (non-softmax operations, an extra slot): there the per-query constant does not cancel.
   */
  private withAlibi(scaled: tf.Tensor, { alibiSlopes, op }: AttentionScores, relative: boolean): tf.Tensor {
    if (!alibiSlopes) return scaled;
    const [, heads, rows] = scaled.shape as [number, number, number, number];
    const bias = alibiBias(alibiSlopes, rows); // [H, T]: slope_h x position
    const keyTerm = tf.add(scaled, tf.tensor4d(bias, [1, heads, 1, rows]));
    return relative || (op !== undefined && op !== 'softmax') ? tf.sub(keyTerm, tf.tensor4d(bias, [1, heads, rows, 1])) : keyTerm;
  }

  /** Gemma 2's soft-capping of the scaled (and biased) scores, before the mask: a masked score stays masked. */
  private withSoftCap(scores: tf.Tensor, { softCap }: AttentionScores): tf.Tensor {
    return softCap === undefined ? scores : this.softCap(scores, softCap);
  }

  attentionPattern(q: tf.Tensor, k: tf.Tensor, scores: AttentionScores): tf.Tensor {
    const { qh, kT } = this.headsForScores(q, k, scores.op);
    const scaled = this.withSoftCap(this.withAlibi(tf.mul(this.kernels.batchMatMul(qh, kT), tf.scalar(scores.scale)), scores, false), scores); // [B,H,T,T]
    return this.weights(scaled, this.maskTensor(scores, q.shape[1] as number), scores.op);
  }

  slottedAttentionPattern(q: tf.Tensor, k: tf.Tensor, scores: AttentionScores, slotKey: tf.Tensor | undefined): { pattern: tf.Tensor; slot: tf.Tensor } {
    const [b, rows, heads, hd] = q.shape as [number, number, number, number];
    const { qh, kT } = this.headsForScores(q, k, scores.op);
    const scale = tf.scalar(scores.scale);
    const keyVector = slotKey ?? tf.zeros([heads * hd]);
    const slotKeyHeads = tf.reshape(scores.op === 'elu1' ? eluPlusOne(keyVector) : keyVector, [1, heads, 1, hd]);
    const slotScores = tf.mul(tf.sum(tf.mul(qh, slotKeyHeads), -1, true), scale); // [B,H,T,1]
    const keyScores = this.withAlibi(tf.mul(this.kernels.batchMatMul(qh, kT), scale), scores, true); // [B,H,T,T]; the slot has no position
    const all = this.weights(this.withSoftCap(tf.concat([slotScores, keyScores], -1), scores), this.maskTensor(scores, rows, 1), scores.op); // [B,H,T,1+T]
    return { slot: tf.slice(all, [0, 0, 0, 0], [b, heads, rows, 1]), pattern: tf.slice(all, [0, 0, 0, 1], [b, heads, rows, rows]) };
  }

  softmax(x: tf.Tensor): tf.Tensor {
    return tf.softmax(x);
  }

  softCap(x: tf.Tensor, cap: number): tf.Tensor {
    return tf.mul(tf.tanh(tf.div(x, tf.scalar(cap))), tf.scalar(cap));
  }

  topKWeights(probs: tf.Tensor, k: number, renormalize: boolean): tf.Tensor {
    const experts = probs.shape[probs.rank - 1] as number;
    const { values, indices } = tf.topk(probs, k); // [...,k], largest first (ties: lower index, as torch.topk on CPU)
    const kept = renormalize ? tf.div(values, tf.sum(values, -1, true)) : values;
    // scatter the k weights back over the experts: sum_j [e == indices_j] * kept_j (tf.oneHot gives zeros on wasm 4.22)
    const chosen = tf.cast(tf.equal(tf.expandDims(indices, -1), tf.range(0, experts, 1, 'int32')), 'float32'); // [...,k,E]
    return tf.sum(tf.mul(chosen, tf.expandDims(kept, -1)), -2);
  }

  lastAxisSlice(x: tf.Tensor, index: number): tf.Tensor {
    const begin = x.shape.map((_, i) => (i === x.rank - 1 ? index : 0));
    const size = x.shape.map((d, i) => (i === x.rank - 1 ? 1 : (d as number)));
    return tf.slice(x, begin, size);
  }

  attend(pattern: tf.Tensor, v: tf.Tensor): tf.Tensor {
    const [b, heads, t] = pattern.shape as [number, number, number, number];
    const z = this.kernels.batchMatMul(pattern, this.headsFirst(v, heads)); // [B,H,T,hd]
    return tf.reshape(tf.transpose(z, [0, 2, 1, 3]), [b, t, heads * (v.shape[3] as number)]); // [B,T,H*hd]
  }

  attendSlot(slot: tf.Tensor, slotValue: tf.Tensor): tf.Tensor {
    const [b, heads, t] = slot.shape as [number, number, number, number];
    const hd = (slotValue.shape[0] as number) / heads;
    const z = tf.mul(slot, tf.reshape(slotValue, [1, heads, 1, hd])); // [B,H,T,hd]
    return tf.reshape(tf.transpose(z, [0, 2, 1, 3]), [b, t, heads * hd]); // [B,T,H*hd]
  }

  prependRow(x: tf.Tensor, row: tf.Tensor): tf.Tensor {
    const d = row.shape[0] as number;
    return tf.concat([tf.broadcastTo(tf.reshape(row, [1, 1, d]), [this.batch, 1, d]), x], 1); // [B,1+T,d]
  }

  dropRows(x: tf.Tensor, count: number): tf.Tensor {
    return tf.slice(x, [0, count, ...x.shape.slice(2).map(() => 0)], [-1, -1, ...x.shape.slice(2).map(() => -1)]);
  }

  hook(name: HookName, x: tf.Tensor): tf.Tensor {
    let y = x;
    const intervention = this.interventions.get(name);
    if (intervention) {
      y = intervention(x, name);
      if (y.shape.length !== x.shape.length || y.shape.some((d, i) => d !== x.shape[i])) {
        throw new Error(`intervention at ${name} returned shape [${y.shape}] for input [${x.shape}]`);
      }
    }
    if (this.capture.has(name)) this.captured.set(name, y);
    return y;
  }
}
