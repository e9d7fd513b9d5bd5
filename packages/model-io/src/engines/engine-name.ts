import { parseChoice } from '../choice.js';

/** The forward engines a run can use: the eager tfjs reference, or the traced ONNX Runtime graph. */
export type EngineName = 'tfjs' | 'onnx';
export const ENGINES: readonly EngineName[] = ['tfjs', 'onnx'];
export const DEFAULT_ENGINE: EngineName = 'onnx';

/** An engine, or `auto` (see `resolveEngine`). */
export type EngineChoice = 'auto' | EngineName;
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', ...ENGINES];

/** Parse an engine name from a CLI flag or spec; an unknown name fails before any work, listing the valid ones. */
export function parseEngine(value: string): EngineName {
  return parseChoice(value, ENGINES, 'engine');
}

/** The same, with `auto` allowed. */
export function parseEngineChoice(value: string): EngineChoice {
  return parseChoice(value, ENGINE_CHOICES, 'engine');
}
