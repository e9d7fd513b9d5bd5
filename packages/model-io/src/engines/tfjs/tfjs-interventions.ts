import * as tf from '@tensorflow/tfjs';
import type { ArchSpec } from '../../arch-spec.js';
import { hookRows, type HookName } from '../../hooks.js';
import { interventionPositions, isPartial, needsOthers, positionMasks, scaledDirection, type InterventionSpec } from '../../interventions.js';
import type { TfIntervention } from './tfjs-ops.js';

/**
 * The same declarative interventions for the eager tfjs engine, op for op as the ONNX compilation
 * (engines/onnx/onnx-interventions.ts), so both engines give the same activations. `lengths` are the batch's true
 * sequence lengths when it is right-padded (compile per batch then); omit for full-length batches.
 * Call inside the forward pass's tf.tidy (TfjsModel.run does): intermediates are disposed there.
 */
export function compileTfIntervention(spec: InterventionSpec, tokenLengths?: readonly number[], arch?: ArchSpec): TfIntervention {
  const positions = interventionPositions(spec);
  return (x: tf.Tensor, hook: HookName): tf.Tensor => {
    if (x.rank !== 3) throw new Error(`intervention ${spec.kind} at ${hook}: expected a [B,T,width] activation, got [${x.shape}]`);
    const [batch, seqLen, width] = x.shape as [number, number, number];
    // inside the blocks of a sink-token model each sequence has one row more than tokens (row 0)
    const extra = arch ? hookRows(arch, hook, 0) : 0;
    const lengths = tokenLengths?.map((n) => n + extra);
    if (lengths && lengths.length !== batch) throw new Error(`intervention at ${hook}: ${lengths.length} lengths for a batch of ${batch}`);
    const masks = positionMasks(positions, { batch, seqLen, ...(lengths ? { lengths } : {}) }, hook, needsOthers(spec));
    const select = tf.broadcastTo(tf.tensor3d(masks.select, [1, seqLen, 1], 'bool'), x.shape); // [B,T,W]
    const others = () => tf.tensor3d(masks.others, [batch, seqLen, 1]);
    const full = fullChange(spec, x, select, others, masks, width);
    // a partial dose: x + strength (f(x) - x) at the chosen positions, as the ONNX graph computes it
    return isPartial(spec) ? tf.where(select, tf.add(x, tf.mul(tf.scalar(spec.strength!), tf.sub(full, x))), x) : full;
  };
}

/** The kind's full change f(x) at the chosen positions (x elsewhere). */
function fullChange(spec: InterventionSpec, x: tf.Tensor, select: tf.Tensor, others: () => tf.Tensor, masks: ReturnType<typeof positionMasks>, width: number): tf.Tensor {
  const [batch] = x.shape as [number, number, number];
  switch (spec.kind) {
    case 'zero':
      return tf.where(select, tf.zerosLike(x), x);
    case 'mean-of-others': {
      const sum = tf.sum(tf.mul(x, others()), 1, true); // [B,1,W]
      const mean = tf.div(sum, tf.tensor3d(masks.otherCount, [batch, 1, 1]));
      return tf.where(select, tf.broadcastTo(mean, x.shape), x);
    }
    case 'rescale-norm': {
      const norms = tf.sqrt(tf.sum(tf.mul(x, x), -1, true)); // [B,T,1]
      const target = spec.norm === 'median-of-others' ? medianOfOthers(norms, masks) : tf.scalar(spec.norm);
      return tf.where(select, tf.mul(x, tf.div(target, norms)), x);
    }
    case 'set-dims': {
      const dimMask = new Uint8Array(width);
      for (const d of spec.dims) dimMask[d] = 1;
      const chosen = tf.logicalAnd(select, tf.broadcastTo(tf.tensor1d(dimMask, 'bool'), x.shape));
      return tf.where(chosen, tf.fill(x.shape, spec.value), x);
    }
    case 'add-direction':
      return tf.where(select, tf.add(x, tf.tensor1d(scaledDirection(spec))), x);
  }
}

/** Per-sequence median of the others' norms, in float32 as the graph's TopK + middle-pair mean: [B,1,1]. */
function medianOfOthers(norms: tf.Tensor, masks: ReturnType<typeof positionMasks>): tf.Tensor {
  const [batch, seqLen] = norms.shape as [number, number, number];
  const values = norms.dataSync() as Float32Array;
  const medians = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    const sorted = Float32Array.from(values.subarray(b * seqLen, (b + 1) * seqLen).filter((_, t) => masks.others[b * seqLen + t] === 1)).sort();
    medians[b] = Math.fround(Math.fround(sorted[masks.medianLo[b]] + sorted[masks.medianHi[b]]) * 0.5);
  }
  return tf.tensor3d(medians, [batch, 1, 1]);
}

/** Several specs as the tfjs engine's hook -> function map; specs at the same hook apply in list order. */
export function tfInterventionMap(specs: readonly InterventionSpec[], lengths?: readonly number[], arch?: ArchSpec): Map<HookName, TfIntervention> {
  const byHook = new Map<HookName, TfIntervention[]>();
  for (const spec of specs) byHook.set(spec.hook, [...(byHook.get(spec.hook) ?? []), compileTfIntervention(spec, lengths, arch)]);
  return new Map([...byHook].map(([hook, fns]) => [hook, (x: tf.Tensor, h: HookName) => fns.reduce((y, f) => f(y, h), x)]));
}
