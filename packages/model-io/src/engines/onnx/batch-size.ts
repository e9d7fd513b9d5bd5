import { freemem } from 'node:os';
import { embeddingParameterCount, headParameterCount, layerParameterCount, type ArchSpec } from '../../arch-spec.js';
import type { HookName } from '../../hooks.js';
import { hookDims } from './onnx-ops.js';

/** Default memory budget: this share of the memory free when the model loads. */
export const DEFAULT_BUDGET_SHARE = 0.6;
/**
 * Past ~25 sequences x 64 tokens ORT's GEMMs are already at peak (measured, GPT-2-small shapes on 2 threads:
 * 383 tok/s at batch 10, 536 at batch 25 = 0.85 of the bare MatMul rate); larger batches only cost memory.
 */
export const MAX_BATCH = 32;

export function defaultMemoryBudget(): number {
  return Math.floor(freemem() * DEFAULT_BUDGET_SHARE);
}

/** Float32 bytes one sequence of length T adds to the captured outputs (each is copied once to the host). */
export function capturedBytesPerSequence(arch: ArchSpec, capture: readonly HookName[], seqLen: number): number {
  let floats = 0;
  for (const hook of capture) {
    const dims = hookDims(arch, hook).map((d): number => (d === 'seq' || d === 'rows' ? seqLen : typeof d === 'number' ? d : 1));
    floats += dims.reduce((a, b) => a * b, 1);
  }
  return 4 * floats;
}

/**
 * Working memory of one sequence inside a graph: the widest live activations of a block (qkv, MLP
 * hidden, scores and probabilities of every head, ~2x headroom) and/or of the head (final norm and
 * logits), in float32.
 */
export function workingBytesPerSequence(arch: ArchSpec, seqLen: number, parts: { blocks: boolean; head: boolean } = { blocks: true, head: true }): number {
  const { dModel, dMlp, nHeads, vocabSize } = arch;
  const blockFloats = seqLen * (6 * dModel + 3 * dMlp) + 3 * nHeads * seqLen * seqLen;
  const headFloats = seqLen * (2 * dModel + vocabSize); // the logits are written straight into the output
  return 4 * ((parts.blocks ? blockFloats : 0) + (parts.head ? headFloats : 0));
}

/** Float32 bytes of the weights one graph segment holds (embeddings, blocks first..last, head; an MoE block all its experts). */
export function segmentWeightBytes(arch: ArchSpec, segment: { embed: boolean; firstLayer: number; lastLayer: number; head: boolean }): number {
  let floats = Math.max(0, segment.lastLayer - segment.firstLayer + 1) * layerParameterCount(arch);
  if (segment.embed) floats += embeddingParameterCount(arch);
  if (segment.head) floats += headParameterCount(arch);
  return 4 * floats;
}

export interface BatchSizeRequest {
  readonly seqLen: number;
  /** The hooks this graph outputs. */
  readonly capture: readonly HookName[];
  /** Bytes available for weights + activations. */
  readonly memoryBudgetBytes: number;
  /** Bytes resident while the batch runs: the graph's weights (and, streaming, every sequence's residual stream). */
  readonly residentWeightBytes: number;
  /** Which parts the graph runs (default both): a streamed block has no logits to hold. */
  readonly parts?: { readonly blocks: boolean; readonly head: boolean };
  readonly maxBatch?: number;
}

/** The largest batch (1..maxBatch) whose activations and captures fit the memory budget beside the weights. */
export function chooseBatchSize(arch: ArchSpec, r: BatchSizeRequest): number {
  const perSequence = 2 * capturedBytesPerSequence(arch, r.capture, r.seqLen) + workingBytesPerSequence(arch, r.seqLen, r.parts);
  const room = r.memoryBudgetBytes - r.residentWeightBytes;
  return Math.max(1, Math.min(r.maxBatch ?? MAX_BATCH, Math.floor(room / perSequence)));
}
