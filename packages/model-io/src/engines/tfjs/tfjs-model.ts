import * as tf from '@tensorflow/tfjs';
import type { ArchSpec } from '../../arch-spec.js';
import { Checkpoint, type CheckpointInfo } from '../../checkpoint/checkpoint.js';
import { loadAllWeights } from '../../families/adapter.js';
import type { HostArray } from '../../host-array.js';
import { forward } from '../../forward/forward.js';
import type { HookName } from '../../hooks.js';
import { listWeights, mapWeights, type ModelWeights } from '../../weights.js';
import { padBatch } from '../pad-batch.js';
import { initBackend, type BackendName } from './backend.js';
import { TfjsOps, type TfIntervention } from './tfjs-ops.js';

export interface RunOptions {
  /** Hooks to capture; only these are kept (attention patterns are the memory hog). */
  readonly capture?: readonly HookName[];
  /** Replacement functions at hook points (zero, rescale, ... the BOS massive activation). */
  readonly interventions?: ReadonlyMap<HookName, TfIntervention>;
  /** Pad every sequence to this length (so chunks of one long job share one shape). */
  readonly padTo?: number;
}

/** A checkpoint loaded into tfjs: the reference engine (float32, eager). */
export class TfjsModel {
  private constructor(
    readonly arch: ArchSpec,
    readonly checkpoint: CheckpointInfo,
    readonly backend: BackendName,
    private weights: ModelWeights<tf.Tensor> | undefined,
  ) {}

  static async load(dir: string, options: { backend?: BackendName } = {}): Promise<TfjsModel> {
    const { backend } = await initBackend(options.backend);
    const ckpt = Checkpoint.open(dir);
    try {
      const host = loadAllWeights(ckpt.family, ckpt.arch, ckpt);
      const weights = mapWeights(host, (w: HostArray) => tf.tensor(w.data, [...w.shape], 'float32'));
      const info: CheckpointInfo = {
        dir: ckpt.dir,
        weightFiles: ckpt.weightFiles,
        storedDtypes: ckpt.storedDtypes,
        float32Bytes: ckpt.float32Bytes,
        unusedTensors: ckpt.unusedTensors(),
      };
      return new TfjsModel(ckpt.arch, info, backend, weights);
    } finally {
      ckpt.close();
    }
  }

  private validateIds(ids: Int32Array): void {
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= this.arch.vocabSize) {
        throw new Error(`token id ${ids[i]} at flat index ${i} is outside the vocabulary [0, ${this.arch.vocabSize})`);
      }
    }
  }

  /**
   * One forward pass over a batch of token-id sequences (ragged batches are right-padded and masked).
   * Returns each captured hook as a float32 host array; every tensor of the pass is disposed.
   */
  run(batch: readonly (readonly number[])[], options: RunOptions = {}): Map<HookName, HostArray> {
    if (!this.weights) throw new Error('model was disposed');
    const weights = this.weights;
    const { ids, seqLen, lengths } = padBatch(batch, options.padTo);
    this.validateIds(ids);
    if (this.arch.positional.kind === 'learned' && seqLen > this.arch.maxPositions) {
      throw new Error(`sequence length ${seqLen} exceeds the model's ${this.arch.maxPositions} learned positions`);
    }
    const capture = new Set<HookName>(options.capture ?? ['logits']);
    const tensors = tf.tidy(() => {
      const ops = new TfjsOps(tf.tensor2d(ids, [batch.length, seqLen], 'int32'), lengths, capture, options.interventions ?? new Map());
      forward(ops, this.arch, weights);
      return Object.fromEntries(ops.captured) as Record<string, tf.Tensor>;
    });
    const out = new Map<HookName, HostArray>();
    try {
      for (const [name, t] of Object.entries(tensors)) {
        out.set(name as HookName, { shape: t.shape, data: t.dataSync() as Float32Array });
      }
    } finally {
      for (const t of Object.values(tensors)) t.dispose();
    }
    return out;
  }

  dispose(): void {
    if (this.weights) for (const w of listWeights(this.weights)) w.dispose();
    this.weights = undefined;
  }
}
