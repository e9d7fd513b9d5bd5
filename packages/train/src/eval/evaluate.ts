import * as tf from '@tensorflow/tfjs';
import { attentionLayers, patternRowsSumToOne, sinkRows } from '@sinkscope/model-io';
import type { ModelConfig } from '../model/config.js';
import { cachedArch, forward } from '../model/tfjs-forward.js';
import type { ModelParams } from '../model/params.js';
import { matrixEntropy } from '@sinkscope/entropy';
import { NormAccumulator, SinkAccumulator } from '@sinkscope/metrics';

/** Sequences to evaluate: `count` rows of `length` ids; the model reads ids[0..length-2] and predicts ids[1..]. */
export interface EvalSet {
  readonly count: number;
  readonly length: number;
  readonly ids: Int32Array;
  /** Optional 1 where the target token was produced by a copy rule (for copy accuracy). */
  readonly isCopyTarget?: Uint8Array;
}

/** One evaluation, as written to eval.jsonl. */
export interface EvalRecord {
  step: number;
  /** Mean next-token cross-entropy (nats) over all held-out targets. */
  loss: number;
  /** Model-level Sink_1^0.3: mean over sequences, layers (with attention), heads of 1[alpha_1 > 0.3]. */
  sinkRate: number;
  /** Per block; null for a block without attention. */
  perLayerSinkRate: (number | null)[];
  /** alpha_1 averaged over sequences, [layer][head] ([] for a block without attention). */
  meanAlpha: number[][];
  /** ||h_first|| / mean ||h_rest|| per hidden state (embeddings, each block, ln_f output). */
  normRatio: number[];
  /** Shannon matrix entropy / ln T per hidden state, averaged over sequences. */
  entropyNormalized: number[];
  /** Argmax accuracy on copy targets (null when the set has no copy labels). */
  copyAccuracy: number | null;
  /** With a key/value bias: mean weight on the extra slot per block with attention (over sequences, heads, queries). */
  slotAttention?: number[];
  /**
   * Unnormalised (sigmoid) attention only: Sink_1 on rows divided by their sum, i.e. on the share of
   * each query's attention that goes to key 0. Raw sigmoid weights start at 0.5 > 0.3, so the plain
   * Sink_1 of such a model is not a share.
   */
  rowNormalizedSinkRate?: number;
  rowNormalizedPerLayerSinkRate?: (number | null)[];
}

/** One chunk of held-out rows through a forward pass, read back to the host (any engine). */
export interface EvalChunk {
  /** log p(target) per position, [b, T]. */
  readonly targetLogProb: ArrayLike<number>;
  /** argmax of the logits per position, [b, T]. */
  readonly argmax: ArrayLike<number>;
  /** Attention weights per block with attention (`attentionLayers`), [b, H, Tx, Tx] each. */
  readonly attentions: readonly Float32Array[];
  /** Hidden states (embeddings, each block but the last, ln_f output), (L + 1) x [b, Tx, d]. */
  readonly hidden: readonly Float32Array[];
  /** With a key/value bias: mean weight on the extra slot per block with attention over the chunk. */
  readonly slotMass?: readonly number[];
}

/** 1 at the positions whose next-token loss counts: all but a prefix-LM's prefix (position t predicts t + 1, which the prefix sees). */
export function lossWeights(config: ModelConfig, T: number): Float32Array | undefined {
  if (config.prefixLength <= 1) return undefined;
  return Float32Array.from({ length: T }, (_, t) => (t >= config.prefixLength - 1 ? 1 : 0));
}

/** Rows start..start+b-1 of an eval set as model inputs and next-token targets [b, T]. */
export function evalRows(set: EvalSet, start: number, b: number): { inputs: Int32Array; targets: Int32Array } {
  const T = set.length - 1;
  const inputs = new Int32Array(b * T);
  const targets = new Int32Array(b * T);
  for (let s = 0; s < b; s++) {
    const row = (start + s) * set.length;
    inputs.set(set.ids.subarray(row, row + T), s * T);
    targets.set(set.ids.subarray(row + 1, row + 1 + T), s * T);
  }
  return { inputs, targets };
}

/** The Sink_1 threshold of every evaluation: alpha_1 > 0.3 (Gu et al. 2025's eps); recorded in each run's run-info.json. */
export const EVAL_SINK_EPS = 0.3;

/**
 * The held-out measurements, accumulated chunk by chunk on the host: loss, Sink_1^0.3 (Gu et al.
 * 2025 sec. 3.2) and alpha from @sinkscope/metrics, norm ratios, matrix entropy, copy accuracy.
 */
export class EvalAccumulator {
  private readonly T: number;
  private readonly Tx: number;
  private readonly layers: number[];
  private readonly weights: Float32Array | undefined;
  private readonly unnormalized: boolean;
  private readonly sinks: SinkAccumulator;
  private readonly rowSinks: SinkAccumulator;
  private readonly norms: NormAccumulator;
  private readonly entropySum: Float64Array;
  private readonly slotSum: Float64Array;
  private nll = 0;
  private copyHits = 0;
  private copyTotal = 0;

  constructor(
    private readonly config: ModelConfig,
    private readonly set: EvalSet,
  ) {
    const arch = cachedArch(config);
    const L = config.nLayer;
    const H = config.nHead;
    this.layers = attentionLayers(arch);
    this.T = set.length - 1;
    this.Tx = this.T + sinkRows(arch); // rows inside the model (a sink token is row 0)
    this.weights = lossWeights(config, this.T);
    // raw sigmoid rows do not sum to 1, so they are measured as they are and also row-normalised
    // (|s| / sum |s|, the paper's sec. 7.4 proxy); with a key/value slot the real keys' weights are
    // each query's share of attention on them (the slot takes the rest), so alpha_1 stays that share
    this.unnormalized = config.attention === 'sigmoid';
    const tolerance = patternRowsSumToOne(arch) ? {} : { rowSumTolerance: Infinity };
    this.sinks = new SinkAccumulator({ layers: this.layers.length, heads: H, eps: [EVAL_SINK_EPS], ks: [1], ...tolerance });
    this.rowSinks = new SinkAccumulator({ layers: this.layers.length, heads: H, eps: [EVAL_SINK_EPS], ks: [1], normalization: 'abs-sum' });
    this.norms = new NormAccumulator({ states: L + 1 });
    this.entropySum = new Float64Array(L + 1);
    this.slotSum = new Float64Array(this.layers.length);
  }

  /** Per-block values from per-attention-block values (null for a block without attention). */
  private perBlock<T>(values: readonly T[]): (T | null)[] {
    const out: (T | null)[] = new Array(this.config.nLayer).fill(null);
    this.layers.forEach((l, i) => (out[l] = values[i]));
    return out;
  }

  /** Add the outputs of rows start..start+b-1. */
  add(chunk: EvalChunk, start: number, b: number): void {
    const { T, Tx, set } = this;
    const d = this.config.nEmbd;
    const H = this.config.nHead;
    const { targets } = evalRows(set, start, b);
    chunk.slotMass?.forEach((m, l) => (this.slotSum[l] += m * b));
    for (let i = 0; i < b * T; i++) this.nll -= this.weights ? this.weights[i % T] * chunk.targetLogProb[i] : chunk.targetLogProb[i];
    for (let s = 0; s < b; s++) {
      const patterns = chunk.attentions.map((probs) => probs.subarray(s * H * Tx * Tx, (s + 1) * H * Tx * Tx)); // L x [H, Tx, Tx]
      this.sinks.addSequence(patterns, Tx);
      if (this.unnormalized) this.rowSinks.addSequence(patterns, Tx);
      chunk.hidden.forEach((hs, i) => {
        const x = hs.subarray(s * Tx * d, (s + 1) * Tx * d); // [Tx, d]
        this.norms.add(i, x, Tx, d);
        this.entropySum[i] += matrixEntropy(x, Tx, d).shannonNormalized;
      });
      if (set.isCopyTarget) {
        for (let t = 0; t < T; t++) {
          if (set.isCopyTarget[(start + s) * set.length + t + 1]) {
            this.copyTotal += 1;
            if (chunk.argmax[s * T + t] === targets[s * T + t]) this.copyHits += 1;
          }
        }
      }
    }
  }

  result(step: number): EvalRecord {
    const { set, config } = this;
    const sink = this.sinks.result();
    const rowSink = this.unnormalized ? this.rowSinks.result() : undefined;
    const counted = this.weights ? this.weights.reduce((a, w) => a + w, 0) : this.T;
    return {
      step,
      loss: this.nll / (set.count * counted),
      sinkRate: sink.sinkRate,
      perLayerSinkRate: this.perBlock(sink.perLayer.rate),
      meanAlpha: this.perBlock(sink.perHead.meanAlpha).map((a) => a ?? []),
      normRatio: this.norms.result().map((n) => n.normRatio),
      entropyNormalized: Array.from(this.entropySum, (x) => x / set.count),
      copyAccuracy: set.isCopyTarget ? (this.copyTotal > 0 ? this.copyHits / this.copyTotal : null) : null,
      ...(config.kvBias === 'none' ? {} : { slotAttention: Array.from(this.slotSum, (x) => x / set.count) }),
      ...(rowSink ? { rowNormalizedSinkRate: rowSink.sinkRate, rowNormalizedPerLayerSinkRate: this.perBlock(rowSink.perLayer.rate) } : {}),
    };
  }
}

/** Evaluate on a fixed set in chunks of `chunk` sequences (bounded memory), on the tfjs forward. */
export function evaluate(config: ModelConfig, params: ModelParams, set: EvalSet, step: number, chunk = 25): EvalRecord {
  const T = set.length - 1;
  const acc = new EvalAccumulator(config, set);
  for (let start = 0; start < set.count; start += chunk) {
    const b = Math.min(chunk, set.count - start);
    const { inputs, targets } = evalRows(set, start, b);
    // tidy returns tensors; they are read outside it, because tidy walks a returned container key
    // by key and would crawl every element of a typed array.
    const kept = tf.tidy(() => {
      const out = forward(config, params, tf.tensor2d(inputs, [b, T], 'int32'), { hiddenStates: true, attentions: true });
      const logProbs = tf.logSoftmax(out.logits); //                                      [b, T, V]
      const oneHotTargets = tf.cast(tf.oneHot(tf.tensor2d(targets, [b, T], 'int32'), config.vocabSize), 'float32');
      return {
        targetLogProb: tf.sum(tf.mul(logProbs, oneHotTargets), -1), //                     [b, T]
        argmax: tf.argMax(out.logits, -1), //                                              [b, T]
        attentions: out.attentions, //                                   per block with attention [b, H, T, T]
        hidden: out.hiddenStates, //                                                       (L + 1) x [b, Tx, d]
        slotMass: out.slotAttentions.map((w) => tf.mean(w)), //                            L scalars
      };
    });
    const read: EvalChunk = {
      targetLogProb: kept.targetLogProb.dataSync(),
      argmax: kept.argmax.dataSync(),
      attentions: kept.attentions.map((a) => a.dataSync() as Float32Array),
      hidden: kept.hidden.map((h) => h.dataSync() as Float32Array),
      slotMass: kept.slotMass.map((m) => m.dataSync()[0]),
    };
    tf.dispose([kept.targetLogProb, kept.argmax, ...kept.attentions, ...kept.hidden, ...kept.slotMass]);
    acc.add(read, start, b);
  }
  return acc.result(step);
}
