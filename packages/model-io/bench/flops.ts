import type { ArchSpec } from '../src/index.js';

/**
 * Parameters that take part in matrix multiplies per token: q, k, v, o and the MLP in every block, plus
 * the LM head (embedding lookups and norms are not multiplies).
 */
export function matmulParams(a: ArchSpec): number {
  const q = a.nHeads * a.headDim;
  const kv = a.nKvHeads * a.headDim;
  const perLayer = a.dModel * q + 2 * a.dModel * kv + q * a.dModel + (a.mlp.kind === 'gated' ? 3 : 2) * a.dModel * a.dMlp;
  return a.nLayers * perLayer + a.dModel * a.vocabSize;
}

/**
 * FLOPs of one extraction, counting a multiply-add as 2:
 *   2 * matmulParams * tokens                     (every linear layer and the LM head)
 * + 2 * 2 * L * T * T * (H * hd) per sequence      (scores q k^T and pattern x v, full T x T: the
 *                                                    dense kernels compute the masked half too)
 */
export function extractionFlops(a: ArchSpec, sequences: number, seqLen: number): number {
  const tokens = sequences * seqLen;
  return 2 * matmulParams(a) * tokens + 2 * 2 * a.nLayers * seqLen * seqLen * a.nHeads * a.headDim * sequences;
}
