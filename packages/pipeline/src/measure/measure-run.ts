import { hiddenStateHooks, sequencePattern, sequenceRows, type ExtractionModel, type HookName } from '@sinkscope/model-io';
import { entropyAccumulator, SinkMeasurements, type MeasurementSettings } from './measurements.js';

export interface MeasureResult {
  readonly sinks: SinkMeasurements;
  readonly entropy: ReturnType<typeof entropyAccumulator>;
  readonly seqLen: number;
  readonly sequences: number;
}

/**
 * Run the model over sequences in batches and stream every sequence's hidden states and attention
 * maps into the measurements (nothing is kept beyond one batch's outputs).
 */
export async function measureModel(
  model: ExtractionModel,
  sequences: readonly (readonly number[])[],
  settings: MeasurementSettings,
  options: { batchSize?: number; onBatch?: (done: number, total: number) => void } = {},
): Promise<MeasureResult> {
  const arch = model.arch;
  const hidden = hiddenStateHooks(arch);
  const patterns = Array.from({ length: arch.nLayers }, (_, l) => `blocks.${l}.attn.hook_pattern` as HookName);
  const sinks = new SinkMeasurements(arch.nLayers, arch.nHeads, settings);
  const entropy = entropyAccumulator(arch.nLayers + 1, settings.entropy);
  const batchSize = options.batchSize ?? 8;
  for (let start = 0; start < sequences.length; start += batchSize) {
    const chunk = sequences.slice(start, start + batchSize);
    const out = await model.run(chunk, { capture: [...hidden, ...patterns] });
    chunk.forEach((seq, b) => {
      const len = seq.length;
      sinks.addPatterns(patterns.map((p) => sequencePattern(out.get(p)!, b, len)), len);
      hidden.forEach((hook, i) => {
        const x = sequenceRows(out.get(hook)!, b, len);
        sinks.addHidden(i, x, len, arch.dModel);
        entropy.add(i, x, len, arch.dModel);
      });
    });
    options.onBatch?.(Math.min(start + batchSize, sequences.length), sequences.length);
  }
  return { sinks, entropy, seqLen: Math.max(...sequences.map((s) => s.length)), sequences: sequences.length };
}
