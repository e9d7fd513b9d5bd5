import type { WeightReader } from '../families/adapter.js';
import type { HostArray } from '../host-array.js';
import { DeferredArray } from '../deferred-array.js';
import { numel } from '../safetensors/tensor-data.js';
import type { Checkpoint } from './checkpoint.js';

/**
 * Walk the family adapter over the whole checkpoint reading only the safetensors headers: every
 * tensor the forward pass needs must exist with the shape config.json implies. Run at load, so a
 * missing or misshapen tensor (say in the last shard) fails before any batch runs, not after an hour
 * of layer streaming. Each stand-in is a DeferredArray (zeros if anything reads its values), so the
 * adapter's transposes and slices cost nothing (Llama-2-7B: minutes of zero-filled copies before).
 * Returns the names of the tensors the forward pass reads.
 */
export function checkCheckpointTensors(ckpt: Checkpoint): Set<string> {
  const used = new Set<string>();
  const reader: WeightReader = {
    has: (name) => ckpt.has(name),
    read: (name, expectedShape): HostArray => {
      const tensor = ckpt.locate(name, expectedShape); // the MissingWeightError naming the files, or the shape mismatch
      used.add(name);
      return new DeferredArray(tensor.shape, { op: 'stored', tensor }, () => new Float32Array(numel(tensor.shape)));
    },
  };
  ckpt.family.embeddings(ckpt.arch, reader);
  for (let l = 0; l < ckpt.arch.nLayers; l++) ckpt.family.layer(ckpt.arch, reader, l);
  ckpt.family.head(ckpt.arch, reader);
  return used;
}
