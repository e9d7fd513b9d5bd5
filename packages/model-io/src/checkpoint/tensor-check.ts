import type { WeightReader } from '../families/adapter.js';
import type { HostArray } from '../host-array.js';
import { SafetensorsFile } from '../safetensors/file.js';
import { MissingWeightError, type Checkpoint } from './checkpoint.js';

/**
 * Walk the family adapter over the whole checkpoint reading only the safetensors headers: every
 * tensor the forward pass needs must exist with the shape config.json implies. Run at load, so a
 * missing or misshapen tensor (say in the last shard) fails before any batch runs, not after an hour
 * of layer streaming. The adapter still transposes/slices what it gets, so each stand-in is one
 * zero-filled tensor of the right shape, dropped at once.
 */
/** Returns the names of the tensors the forward pass reads. */
export function checkCheckpointTensors(ckpt: Checkpoint): Set<string> {
  const used = new Set<string>();
  const shapes = new Map<string, { file: string; shape: readonly number[] }>();
  for (const path of ckpt.weightFiles) {
    const file = SafetensorsFile.open(path);
    try {
      for (const name of file.names) shapes.set(name, { file: path, shape: file.entry(name).shape });
    } finally {
      file.close();
    }
  }
  const reader: WeightReader = {
    has: (name) => ckpt.has(name),
    read: (name, expectedShape): HostArray => {
      const found = shapes.get(name);
      if (!found || !ckpt.has(name)) ckpt.read(name, expectedShape); // throws the MissingWeightError naming the files searched
      const shape = expectedShape ?? found!.shape;
      if (found!.shape.length !== shape.length || found!.shape.some((d, i) => d !== shape[i])) {
        throw new MissingWeightError(`${found!.file}: tensor '${name}' has shape [${found!.shape.join(', ')}] but config.json implies [${shape.join(', ')}]`);
      }
      used.add(name);
      return { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
    },
  };
  ckpt.family.embeddings(ckpt.arch, reader);
  for (let l = 0; l < ckpt.arch.nLayers; l++) ckpt.family.layer(ckpt.arch, reader, l);
  ckpt.family.head(ckpt.arch, reader);
  return used;
}
