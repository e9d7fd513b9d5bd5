/**
 * Right-pad ragged sequences (to `padTo` when longer): ids [B, Tmax] and the true lengths (undefined
 * if all equal). Engine-neutral, so the onnx engine never imports tfjs (~90 MB of RSS).
 */
export function padBatch(batch: readonly (readonly number[])[], padTo = 0, padId = 0): { ids: Int32Array; seqLen: number; lengths?: number[] } {
  if (batch.length === 0) throw new Error('empty batch: give at least one sequence');
  const lengths = batch.map((s) => s.length);
  if (lengths.some((n) => n === 0)) throw new Error('empty sequence in batch');
  const seqLen = Math.max(padTo, ...lengths);
  const ids = new Int32Array(batch.length * seqLen).fill(padId);
  batch.forEach((s, i) => ids.set(s, i * seqLen));
  return lengths.every((n) => n === seqLen) ? { ids, seqLen } : { ids, seqLen, lengths };
}
