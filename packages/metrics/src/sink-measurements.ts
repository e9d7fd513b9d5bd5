import { AttentionScoreAccumulator, type AttentionScores } from './attention-scores.js';
import { MassiveActivationAccumulator, type MassiveActivationSummary } from './massive.js';
import { NormAccumulator, type FirstRestNorms, type NormSummary } from './norms.js';
import { SinkAccumulator, type SinkResult } from './sink-accumulator.js';

export interface SinkMeasurementSettings {
  /** The primary Sink_1 threshold (strict alpha > eps). */
  readonly eps: number;
  /** Further thresholds, each with its own Sink_1-vs-T curve. */
  readonly epsSweep: readonly number[];
  /** Key positions k of Sink_k. */
  readonly ks: readonly number[];
  /** Prefix lengths T of the Sink_1-vs-T curve. */
  readonly seqLenSweep: readonly number[];
  readonly massiveTopK: number;
  readonly scoreNormalization: 'none' | 'abs-sum';
  /**
   * With `none`: how far a causal row may be from summing to 1 (default 1e-2). `Infinity` when the
   * maps are shares that need not sum to 1 (the real keys' weights beside an attention slot, raw
   * sigmoid weights, a prefix-LM's causal half): alpha is then the raw weight on the key.
   */
  readonly rowSumTolerance?: number;
}

/**
 * The per-layer sink measurements, streamed one sequence at a time: Sink_k^eps and alpha per head
 * (Gu et al. 2025 sec. 3.2) for every eps of the sweep, first-token norms and massive activations
 * (Sun et al. 2024). The metrics step and `sinkscope measure` feed it.
 */
export class SinkMeasurements {
  /** One accumulator per eps of the sweep (so Sink_1-vs-T is available for every eps). */
  private readonly sinks: Map<number, SinkAccumulator>;
  readonly norms: NormAccumulator;
  readonly massive: MassiveActivationAccumulator;
  /** Mix-Compress-Refine attention scores per layer (Queipo-de-Llano et al. 2025, Fig. 6). */
  readonly attention: AttentionScoreAccumulator;

  /**
   * `layers`: attention maps per sequence (the blocks with attention); `states`: hidden states per
   * sequence (default layers + 1; more when some blocks have no attention).
   */
  constructor(
    readonly layers: number,
    readonly heads: number,
    readonly settings: SinkMeasurementSettings,
    states = layers + 1,
  ) {
    const epsList = [...new Set([settings.eps, ...settings.epsSweep])];
    this.sinks = new Map(
      epsList.map((eps) => [
        eps,
        new SinkAccumulator({
          layers,
          heads,
          eps: epsList,
          ks: [...settings.ks],
          primaryEps: eps,
          primaryK: 1,
          prefixLengths: [...settings.seqLenSweep],
          normalization: settings.scoreNormalization,
          ...(settings.rowSumTolerance !== undefined ? { rowSumTolerance: settings.rowSumTolerance } : {}),
        }),
      ]),
    );
    this.norms = new NormAccumulator({ states });
    this.massive = new MassiveActivationAccumulator({ states, topK: settings.massiveTopK });
    this.attention = new AttentionScoreAccumulator(layers, heads);
  }

  /**
   * One sequence's attention maps, [H, T, T] per layer. Returns that sequence's per-layer readings:
   * Sink_1 at the primary eps (fraction of heads) and the attention scores.
   */
  addPatterns(patterns: readonly Float32Array[], seqLen: number): { sinkRate: Float64Array; attention: AttentionScores[] } {
    for (const acc of this.sinks.values()) acc.addSequence(patterns, seqLen);
    const attention = this.attention.addSequence(patterns, seqLen);
    return { sinkRate: this.sinks.get(this.settings.eps)!.latestSequenceRates(), attention };
  }

  /** One sequence's hidden state `index`, [T, d]; returns its first-token and other-token norms. */
  addHidden(index: number, x: Float32Array, seqLen: number, dim: number): FirstRestNorms {
    const norms = this.norms.add(index, x, seqLen, dim);
    this.massive.add(index, x, seqLen, dim);
    return norms;
  }

  attentionResult(): AttentionScores[] {
    return this.attention.result();
  }

  sinkResult(eps = this.settings.eps): SinkResult {
    const acc = this.sinks.get(eps);
    if (!acc) throw new Error(`eps ${eps} was not measured`);
    return acc.result();
  }

  get epsValues(): number[] {
    return [...this.sinks.keys()].sort((a, b) => a - b);
  }

  normResult(): NormSummary[] {
    return this.norms.result();
  }

  massiveResult(): MassiveActivationSummary[] {
    return this.massive.result();
  }
}
