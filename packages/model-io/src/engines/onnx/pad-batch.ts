/**
 * Right-pad ragged sequences: ids [B, Tmax] and the true lengths (undefined if all equal).
 * Same contract as `padBatch` in engines/tfjs/tfjs-model.ts, kept here so the onnx engine does not
 * import tfjs (~90 MB of RSS); the lead moves one copy to an engine-neutral module.
 */
export function padBatch(batch: readonly (readonly number[])[], padId = 0): { ids: Int32Array; seqLen: number; lengths?: number[] } {
  if (batch.length === 0) throw new Error('empty batch: give at least one sequence');
  const lengths = batch.map((s) => s.length);
  if (lengths.some((n) => n === 0)) throw new Error('empty sequence in batch');
  const seqLen = Math.max(...lengths);
  const ids = new Int32Array(batch.length * seqLen).fill(padId);
  batch.forEach((s, i) => ids.set(s, i * seqLen));
  return lengths.every((n) => n === seqLen) ? { ids, seqLen } : { ids, seqLen, lengths };
}
