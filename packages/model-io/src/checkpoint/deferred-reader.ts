import { DeferredArray } from '../deferred-array.js';
import type { WeightReader } from '../families/adapter.js';
import type { HostArray } from '../host-array.js';
import type { Checkpoint } from './checkpoint.js';

/**
 * A WeightReader for engines that read weights where they lie (the ONNX engine): each `read` checks
 * the tensor as `Checkpoint.read` does (present, shape, no NaN or infinity, the values scanned in
 * chunks) and returns a DeferredArray pointing at its bytes, so the adapter's transposes and slices
 * become a recipe instead of copies. `checked` carries the finite-value scans over from earlier
 * reads of the same checkpoint (a model re-traced for a new capture set, each streamed run).
 */
export class DeferredWeightReader implements WeightReader {
  constructor(
    private readonly ckpt: Checkpoint,
    private readonly checked: Set<string> = new Set(),
  ) {}

  has(name: string): boolean {
    return this.ckpt.has(name);
  }

  read(name: string, expectedShape?: readonly number[]): HostArray {
    const tensor = this.ckpt.locate(name, expectedShape);
    if (!this.checked.has(name)) {
      this.ckpt.checkFinite(name);
      this.checked.add(name);
    }
    return new DeferredArray(tensor.shape, { op: 'stored', tensor }, () => this.ckpt.read(name, expectedShape).data);
  }
}
