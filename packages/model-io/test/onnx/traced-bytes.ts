import { rmSync } from 'node:fs';
import { Checkpoint, type ArchSpec, type HookName } from '../../src/index.js';
import { traceStage, type Stage } from '../../src/engines/onnx/index.js';

/**
 * Trace one segment of a checkpoint (default: the whole model) and return the float32 bytes of the
 * initializers its graph holds, beside the checkpoint's own float32 bytes and tensor names.
 */
export function tracedWeightBytes(dir: string, stageOf?: (arch: ArchSpec) => Stage): { graph: number; checkpoint: number; arch: ArchSpec; tensorNames: string[] } {
  const ckpt = Checkpoint.open(dir);
  try {
    const stage = stageOf?.(ckpt.arch) ?? { embed: true, firstLayer: 0, lastLayer: ckpt.arch.nLayers - 1, head: true, residualOut: false };
    const graph = traceStage(ckpt.arch, ckpt.family, ckpt, stage, new Set<HookName>(['logits']), []);
    rmSync(graph.encoded.dir, { recursive: true, force: true });
    return { graph: graph.encoded.weightBytes, checkpoint: ckpt.float32Bytes, arch: ckpt.arch, tensorNames: ckpt.tensorNames };
  } finally {
    ckpt.close();
  }
}
