import { LayerEntropyAccumulator } from '@sinkscope/entropy';
import { SinkMeasurements, type SinkMeasurementSettings } from '@sinkscope/metrics';
import { attentionLayers, hiddenStateHooks, hookRows, patternRowsSumToOne, sequencePattern, sequenceRows, type ExtractionModel, type HookName, type LensHead } from '@sinkscope/model-io';

/** The sink settings and the entropy preprocessing of one in-memory pass. */
export interface MeasurementSettings extends SinkMeasurementSettings {
  readonly entropy: { readonly center: boolean; readonly normalizeRows: boolean; readonly renyiAlphas: readonly number[] };
}

export interface MeasureResult {
  /** Per-layer sink results cover these blocks (those with attention), in order. */
  readonly attentionLayers: readonly number[];
  readonly sinks: SinkMeasurements;
  readonly entropy: LayerEntropyAccumulator;
  readonly seqLen: number;
  readonly sequences: number;
  /** LogitLens next-token loss per hidden state (nats), when a LensHead was given. */
  readonly logitLensLoss?: Float64Array;
}

/**
 * The per-layer measurements of the metrics and entropy steps in one forward pass, in memory and
 * without the store (what `sinkscope measure` prints; the reference the pipeline's streamed tables are
 * tested against). Every sequence's hidden states and attention maps go straight into the
 * accumulators; nothing is kept beyond one batch's outputs.
 */
export async function measureModel(
  model: ExtractionModel,
  sequences: readonly (readonly number[])[],
  settings: MeasurementSettings,
  options: { batchSize?: number; onBatch?: (done: number, total: number) => void; lens?: LensHead } = {},
): Promise<MeasureResult> {
  const arch = model.arch;
  const hidden = hiddenStateHooks(arch);
  const layers = attentionLayers(arch);
  const patterns = layers.map((l) => `blocks.${l}.attn.hook_pattern` as HookName);
  const sinks = new SinkMeasurements(layers.length, arch.nHeads, { ...(patternRowsSumToOne(arch) ? {} : { rowSumTolerance: Infinity }), ...settings }, arch.nLayers + 1);
  const { center, normalizeRows, renyiAlphas } = settings.entropy;
  const entropy = new LayerEntropyAccumulator({ states: arch.nLayers + 1, center, normalize: normalizeRows, renyiAlphas: [...renyiAlphas] });
  const batchSize = options.batchSize ?? 8;
  const lensNll = new Float64Array(arch.nLayers + 1);
  let lensTokens = 0;
  for (let start = 0; start < sequences.length; start += batchSize) {
    const chunk = sequences.slice(start, start + batchSize);
    const out = await model.run(chunk, { capture: [...hidden, ...patterns] });
    chunk.forEach((seq, b) => {
      const len = hookRows(arch, 'blocks.0.hook_resid_pre', seq.length); // rows inside the blocks (+ a sink token's)
      sinks.addPatterns(patterns.map((p) => sequencePattern(out.get(p)!, b, len)), len);
      const xs = hidden.map((hook) => sequenceRows(out.get(hook)!, b, len));
      xs.forEach((x, i) => {
        sinks.addHidden(i, x, len, arch.dModel);
        entropy.add(i, x, len, arch.dModel);
      });
      if (options.lens) {
        options.lens.readout(xs, seq).forEach((r, i) => r.targetLogProbs.forEach((lp) => (lensNll[i] -= lp)));
        lensTokens += seq.length - 1; // a sink token's row predicts nothing (the readout drops it)
      }
    });
    options.onBatch?.(Math.min(start + batchSize, sequences.length), sequences.length);
  }
  return {
    attentionLayers: layers,
    sinks,
    entropy,
    seqLen: Math.max(...sequences.map((s) => s.length)),
    sequences: sequences.length,
    ...(options.lens ? { logitLensLoss: lensNll.map((v) => v / lensTokens) } : {}),
  };
}
