import * as tf from '@tensorflow/tfjs';
import type { Activation, NormKind, RotaryScheme } from '../../arch-spec.js';
import type { AttentionScores, ForwardOps } from '../../forward/ops.js';
import { alibiBias, rotaryTables } from '../../forward/position-tables.js';
import type { HookName } from '../../hooks.js';
import type { Linear, Norm } from '../../weights.js';

/** Replace an activation at a hook point; must return a tensor of the same shape. */
export type TfIntervention = (x: tf.Tensor, hook: HookName) => tf.Tensor;

/** Large negative added to masked scores: exp underflows to exactly 0, as transformers' finfo.min does. */
const MASKED = -1e9;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Eager tfjs implementation of the forward ops for one batch. Every tensor it creates lives inside
 * the caller's tf.tidy; captured hooks are collected in `captured` and returned from that tidy.
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
  ) {
    [this.batch, this.seqLen] = ids.shape;
  }

  embedTokens(table: tf.Tensor, scale: number): tf.Tensor {
    const x = tf.gather(table, this.ids); // [B,T,d]
    return scale === 1 ? x : tf.mul(x, tf.scalar(scale));
  }

  embedPositions(table: tf.Tensor, offset: number): tf.Tensor {
    const positions = tf.range(offset, offset + this.seqLen, 1, 'int32');
    return tf.expandDims(tf.gather(table, positions), 0); // [1,T,d]
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
    let y = tf.matMul(tf.reshape(x, [rows, inDim]), w); // untransposed: fast on wasm
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
        return tf.mul(tf.mul(x, tf.scalar(0.5)), tf.add(tf.scalar(1), tf.erf(tf.mul(x, tf.scalar(Math.SQRT1_2)))));
      case 'gelu_tanh': {
        // x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))  (Hendrycks & Gimpel; transformers' gelu_new)
        const inner = tf.mul(tf.scalar(SQRT_2_OVER_PI), tf.add(x, tf.mul(tf.scalar(0.044715), tf.pow(x, tf.scalar(3)))));
        return tf.mul(tf.mul(x, tf.scalar(0.5)), tf.add(tf.scalar(1), tf.tanh(inner)));
      }
    }
  }

  splitHeads(x: tf.Tensor, heads: number, headDim: number): tf.Tensor {
    return tf.reshape(x, [this.batch, this.seqLen, heads, headDim]);
  }

  private rotaryTable(scheme: RotaryScheme): { cos: tf.Tensor; sin: tf.Tensor } {
    const key = JSON.stringify(scheme);
    let table = this.rotaryCache.get(key);
    if (!table) {
      const { rotaryDim } = scheme;
      const { cos, sin } = rotaryTables(this.seqLen, scheme);
      table = { cos: tf.tensor4d(cos, [1, this.seqLen, 1, rotaryDim]), sin: tf.tensor4d(sin, [1, this.seqLen, 1, rotaryDim]) };
      this.rotaryCache.set(key, table);
    }
    return table;
  }

  rotary(x: tf.Tensor, scheme: RotaryScheme): tf.Tensor {
    const headDim = x.shape[3] as number;
    const { rotaryDim } = scheme;
    const { cos, sin } = this.rotaryTable(scheme);
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

  private maskTensor(slidingWindow: number | undefined): tf.Tensor {
    const T = this.seqLen;
    const causal = new Float32Array(T * T);
    for (let t = 0; t < T; t++) {
      for (let s = 0; s < T; s++) {
        const visible = s <= t && (slidingWindow === undefined || t - s < slidingWindow);
        causal[t * T + s] = visible ? 0 : MASKED;
      }
    }
    let mask: tf.Tensor = tf.tensor4d(causal, [1, 1, T, T]);
    if (this.lengths) {
      const pad = new Float32Array(this.batch * T);
      this.lengths.forEach((len, i) => pad.fill(MASKED, i * T + len, (i + 1) * T));
      mask = tf.add(mask, tf.tensor4d(pad, [this.batch, 1, 1, T]));
    }
    return mask;
  }

  attentionPattern(q: tf.Tensor, k: tf.Tensor, { scale, slidingWindow, alibiSlopes, softCap }: AttentionScores): tf.Tensor {
    const heads = q.shape[2] as number;
    const qh = tf.transpose(q, [0, 2, 1, 3]); // [B,H,T,hd]
    const kT = tf.transpose(this.headsFirst(k, heads), [0, 1, 3, 2]); // [B,H,hd,T], explicit: transposeB is slow on wasm
    let scores = tf.mul(tf.matMul(qh, kT), tf.scalar(scale)); // [B,H,T,T]
    if (alibiSlopes) scores = tf.add(scores, tf.tensor4d(alibiBias(alibiSlopes, this.seqLen), [1, heads, 1, this.seqLen]));
    if (softCap !== undefined) scores = this.softCap(scores, softCap); // before the mask: a masked score stays masked
    return tf.softmax(tf.add(scores, this.maskTensor(slidingWindow)));
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
    const z = tf.matMul(pattern, this.headsFirst(v, heads)); // [B,H,T,hd]
    return tf.reshape(tf.transpose(z, [0, 2, 1, 3]), [b, t, heads * (v.shape[3] as number)]); // [B,T,H*hd]
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
