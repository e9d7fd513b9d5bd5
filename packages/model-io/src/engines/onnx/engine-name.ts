/** The forward engines a run can use: the eager tfjs reference, or the traced ONNX Runtime graph. */
export type EngineName = 'tfjs' | 'onnx';
export const ENGINES: readonly EngineName[] = ['tfjs', 'onnx'];
export const DEFAULT_ENGINE: EngineName = 'onnx';

/** Parse an engine name from a CLI flag or spec; an unknown name fails before any work, listing the valid ones. */
export function parseEngine(value: string): EngineName {
  if ((ENGINES as readonly string[]).includes(value)) return value as EngineName;
  throw new Error(`unknown engine '${value}' (valid: ${ENGINES.join(', ')})`);
}
