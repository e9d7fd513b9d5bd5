import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../model/config.js';
import { forward } from '../model/forward.js';
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
  /** Model-level Sink_1^0.3: mean over sequences, layers, heads of 1[alpha_1 > 0.3]. */
  sinkRate: number;
  perLayerSinkRate: number[];
  /** alpha_1 averaged over sequences, [layer][head]. */
  meanAlpha: number[][];
  /** ||h_first|| / mean ||h_rest|| per hidden state (embeddings, each block, ln_f output). */
  normRatio: number[];
  /** Shannon matrix entropy / ln T per hidden state, averaged over sequences. */
  entropyNormalized: number[];
  /** Argmax accuracy on copy targets (null when the set has no copy labels). */
  copyAccuracy: number | null;
  /** With a key/value bias: mean weight on the extra slot per layer (over sequences, heads, queries). */
  slotAttention?: number[];
  /**
   * Unnormalised (sigmoid) attention only: Sink_1 on rows divided by their sum, i.e. on the share of
   * each query's attention that goes to key 0. Raw sigmoid weights start at 0.5 > 0.3, so the plain
   * Sink_1 of such a model is not a share.
   */
  rowNormalizedSinkRate?: number;
  rowNormalizedPerLayerSinkRate?: number[];
}

/** Evaluate on a fixed set in chunks of `chunk` sequences (bounded memory). */
export function evaluate(config: ModelConfig, params: ModelParams, set: EvalSet, step: number, chunk = 25): EvalRecord {
  const T = set.length - 1;
  const Tx = T + (config.sinkToken ? 1 : 0); // rows inside the model (a sink token is row 0)
  const d = config.nEmbd;
  const H = config.nHead;
  const L = config.nLayer;
  // Sink_1^0.3 (Gu et al. 2025 sec. 3.2) from @sinkscope/metrics; raw sigmoid rows do not sum to 1,
  // so they are measured as they are and also row-normalised (|s| / sum |s|, the paper's sec. 7.4 proxy)
  const unnormalized = config.attention === 'sigmoid';
  const sinks = new SinkAccumulator({ layers: L, heads: H, eps: [0.3], ks: [1], ...(unnormalized ? { rowSumTolerance: Infinity } : {}) });
  const rowSinks = new SinkAccumulator({ layers: L, heads: H, eps: [0.3], ks: [1], normalization: 'abs-sum' });
  const norms = new NormAccumulator({ states: L + 1 });
  const entropySum = new Float64Array(L + 1);
  const slotSum = new Float64Array(L);
  let nll = 0;
  let copyHits = 0;
  let copyTotal = 0;
  for (let start = 0; start < set.count; start += chunk) {
    const b = Math.min(chunk, set.count - start);
    const inputs = new Int32Array(b * T);
    const targets = new Int32Array(b * T);
    for (let s = 0; s < b; s++) {
      const row = (start + s) * set.length;
      inputs.set(set.ids.subarray(row, row + T), s * T);
      targets.set(set.ids.subarray(row + 1, row + 1 + T), s * T);
    }
    // tidy returns tensors; they are read outside it, because tidy walks a returned container key
    // by key and would crawl every element of a typed array.
    const kept = tf.tidy(() => {
      const out = forward(config, params, tf.tensor2d(inputs, [b, T], 'int32'), { hiddenStates: true, attentions: true });
      const logProbs = tf.logSoftmax(out.logits); //                                      [b, T, V]
      const oneHotTargets = tf.cast(tf.oneHot(tf.tensor2d(targets, [b, T], 'int32'), config.vocabSize), 'float32');
      return {
        targetLogProb: tf.sum(tf.mul(logProbs, oneHotTargets), -1), //                     [b, T]
        argmax: tf.argMax(out.logits, -1), //                                              [b, T]
        attentions: out.attentions, //                                                     L x [b, H, T, T]
        hidden: out.hiddenStates, //                                                       (L + 1) x [b, Tx, d]
        slotMass: out.slotAttentions.map((w) => tf.mean(w)), //                            L scalars
      };
    });
    const read = {
      targetLogProb: kept.targetLogProb.dataSync(),
      argmax: kept.argmax.dataSync(),
      attentions: kept.attentions.map((a) => a.dataSync()),
      hidden: kept.hidden.map((h) => h.dataSync()),
    };
    kept.slotMass.forEach((m, l) => (slotSum[l] += m.dataSync()[0] * b));
    tf.dispose([kept.targetLogProb, kept.argmax, ...kept.attentions, ...kept.hidden, ...kept.slotMass]);
    const targetLogProb = read.targetLogProb;
    const argmax = read.argmax;
    for (let i = 0; i < b * T; i++) nll -= targetLogProb[i];
    for (let s = 0; s < b; s++) {
      const patterns = read.attentions.map((probs) => (probs as Float32Array).subarray(s * H * Tx * Tx, (s + 1) * H * Tx * Tx)); // L x [H, Tx, Tx]
      sinks.addSequence(patterns, Tx);
      if (unnormalized) rowSinks.addSequence(patterns, Tx);
      read.hidden.forEach((hs, i) => {
        const x = (hs as Float32Array).subarray(s * Tx * d, (s + 1) * Tx * d); // [Tx, d]
        norms.add(i, x, Tx, d);
        entropySum[i] += matrixEntropy(x, Tx, d).shannonNormalized;
      });
      if (set.isCopyTarget) {
        for (let t = 0; t < T; t++) {
          if (set.isCopyTarget[(start + s) * set.length + t + 1]) {
            copyTotal += 1;
            if (argmax[s * T + t] === targets[s * T + t]) copyHits += 1;
          }
        }
      }
    }
  }
  const sink = sinks.result();
  const rowSink = unnormalized ? rowSinks.result() : undefined;
  return {
    step,
    loss: nll / (set.count * T),
    sinkRate: sink.sinkRate,
    perLayerSinkRate: sink.perLayer.rate,
    meanAlpha: sink.perHead.meanAlpha,
    normRatio: norms.result().map((n) => n.normRatio),
    entropyNormalized: Array.from(entropySum, (x) => x / set.count),
    copyAccuracy: set.isCopyTarget ? (copyTotal > 0 ? copyHits / copyTotal : null) : null,
    ...(config.kvBias === 'none' ? {} : { slotAttention: Array.from(slotSum, (x) => x / set.count) }),
    ...(rowSink ? { rowNormalizedSinkRate: rowSink.sinkRate, rowNormalizedPerLayerSinkRate: rowSink.perLayer.rate } : {}),
  };
}
