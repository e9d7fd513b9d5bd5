import { Checkpoint, DeferredWeightReader, type ArchSpec, type HookName } from '../../src/index.js';
import { traceStage, type Stage } from '../../src/engines/onnx/index.js';

/**
 * Trace one segment of a checkpoint (default: the whole model) with its weights left where they lie,
 * and return the bytes its graph references in the checkpoint's files (`graph`, as stored: BF16 stays
 * 2 bytes a value), the bytes it embeds in the model itself (`embedded`), the folder its external data
 * resolves in, and the checkpoint's own stored bytes and tensor names.
 */
export function tracedWeightBytes(dir: string, stageOf?: (arch: ArchSpec) => Stage): { graph: number; embedded: number; externalDataFolder: string | undefined; checkpoint: number; arch: ArchSpec; tensorNames: string[] } {
  const ckpt = Checkpoint.open(dir);
  try {
    const stage = stageOf?.(ckpt.arch) ?? { embed: true, firstLayer: 0, lastLayer: ckpt.arch.nLayers - 1, head: true, residualOut: false };
    const { encoded } = traceStage(ckpt.arch, ckpt.family, new DeferredWeightReader(ckpt), stage, new Set<HookName>(['logits']), []);
    const checkpoint = ckpt.tensorNames.reduce((n, name) => n + ckpt.locate(name).byteLength, 0);
    return { graph: encoded.storedBytes, embedded: encoded.embeddedBytes, externalDataFolder: encoded.externalDataFolder, checkpoint, arch: ckpt.arch, tensorNames: ckpt.tensorNames };
  } finally {
    ckpt.close();
  }
}
