import * as tf from '@tensorflow/tfjs';
import type { ArchSpec } from '../../arch-spec.js';
import { Checkpoint } from '../../checkpoint/checkpoint.js';
import { sinkRows } from '../../families/arch-defaults.js';
import { hiddenStateHooks } from '../../hidden-states.js';
import type { HostArray } from '../../host-array.js';
import type { Linear, Norm } from '../../weights.js';
import { initBackend, type BackendName } from './backend.js';
import { TfjsOps } from './tfjs-ops.js';

/** What the LogitLens reads out of one hidden state of one sequence (positions 0..T-2 predict 1..T-1). */
export interface LensReadout {
  /** ln p(x_{t+1}) under the readout, [T - 1] (float64). */
  readonly targetLogProbs: Float64Array;
  /** 1 where the readout's arg-max is x_{t+1}, [T - 1]. */
  readonly top1: Uint8Array;
}

/**
 * The LogitLens (nostalgebraist 2020): any hidden state read out through the model's own final norm
 * and unembedding (with its bias, e.g. Phi's), using model-io's forward ops so the readout is the
 * model's head exactly. transformers' last hidden state is already the final norm's output
 * (`ln_final.hook_normalized`), so it goes through the unembedding only: normalising it twice
 * would change it. Every tensor is disposed (tf.tidy).
 */
export class LensHead {
  private constructor(
    readonly arch: ArchSpec,
    readonly backend: BackendName,
    private weights: { lnFinal: Norm<tf.Tensor>; lmHead: Linear<tf.Tensor> } | undefined,
  ) {}

  static async load(dir: string, options: { backend?: BackendName } = {}): Promise<LensHead> {
    const { backend } = await initBackend(options.backend);
    const ckpt = Checkpoint.open(dir);
    try {
      const host = ckpt.family.head(ckpt.arch, ckpt);
      const t = (w: HostArray) => tf.tensor(w.data, [...w.shape], 'float32');
      const lnFinal = host.lnFinal.b ? { g: t(host.lnFinal.g), b: t(host.lnFinal.b) } : { g: t(host.lnFinal.g) };
      const lmHead = host.lmHead.b ? { w: t(host.lmHead.w), b: t(host.lmHead.b) } : { w: t(host.lmHead.w) };
      return new LensHead(ckpt.arch, backend, { lnFinal, lmHead });
    } finally {
      ckpt.close();
    }
  }

  /**
   * Read out hidden states `xs[i]` = [T, d] (float32, row-major; i = transformers' hidden-state
   * index, so i = L is already normalised) of one sequence `ids` [T]; one batched product for all.
   * A sink-token model's states may also hold the sink token's row first ([1 + T, d], as the hooks
   * inside the blocks do): it is dropped, as the model's own head drops it (it predicts nothing).
   */
  readout(states: readonly Float32Array[], ids: readonly number[]): LensReadout[] {
    if (!this.weights) throw new Error('LensHead was disposed');
    const { lnFinal, lmHead } = this.weights;
    const T = ids.length;
    const d = this.arch.dModel;
    const L = this.arch.nLayers;
    const sink = sinkRows(this.arch) * d;
    const xs = states.map((x) => (sink > 0 && x.length === T * d + sink ? x.subarray(sink) : x));
    if (xs.length !== L + 1) throw new RangeError(`LensHead.readout: ${xs.length} hidden states, the model has ${L + 1} (${hiddenStateHooks(this.arch)[0]}..ln_final)`);
    xs.forEach((x, i) => {
      if (x.length !== T * d) throw new RangeError(`LensHead.readout: hidden state ${i} has ${x.length} values, not T x d = ${T} x ${d}`);
    });
    if (T < 2) return xs.map(() => ({ targetLogProbs: new Float64Array(0), top1: new Uint8Array(0) }));
    const V = this.arch.vocabSize;
    const targets = Int32Array.from(ids.slice(1));
    const [logProbs, argmax] = tf.tidy(() => {
      const ops = new TfjsOps(tf.zeros([1, T], 'int32') as tf.Tensor2D, undefined, new Set(), new Map());
      const stacked = tf.tensor3d(concat(xs, T * d), [L + 1, T, d]);
      const [inner, last] = tf.split(stacked, [L, 1], 0);
      const normed = tf.concat([ops.norm(inner, lnFinal, this.arch.norm.kind, this.arch.norm.eps), last], 0); // the last is normalised already
      const predicting = tf.slice(normed, [0, 0, 0], [L + 1, T - 1, d]);
      const logits = tf.reshape(ops.linear(predicting, lmHead), [(L + 1) * (T - 1), V]);
      const lsm = tf.logSoftmax(logits);
      const index = tf.tensor1d(Array.from({ length: (L + 1) * (T - 1) }, (_, r) => r * V + targets[r % (T - 1)]), 'int32');
      return [tf.gather(tf.reshape(lsm, [-1]), index), tf.argMax(logits, 1)];
    });
    const lp = logProbs.dataSync() as Float32Array;
    const am = argmax.dataSync() as Int32Array;
    logProbs.dispose();
    argmax.dispose();
    return xs.map((_, i) => ({
      targetLogProbs: Float64Array.from(lp.subarray(i * (T - 1), (i + 1) * (T - 1))),
      top1: Uint8Array.from(am.subarray(i * (T - 1), (i + 1) * (T - 1)), (a, t) => (a === targets[t] ? 1 : 0)),
    }));
  }

  dispose(): void {
    if (!this.weights) return;
    const { lnFinal, lmHead } = this.weights;
    for (const t of [lnFinal.g, lnFinal.b, lmHead.w, lmHead.b]) t?.dispose();
    this.weights = undefined;
  }
}

function concat(parts: readonly Float32Array[], each: number): Float32Array {
  const out = new Float32Array(parts.length * each);
  parts.forEach((p, i) => out.set(p, i * each));
  return out;
}
