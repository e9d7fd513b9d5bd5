import { LayerEntropyAccumulator } from '@sinkscope/entropy';
import { medianInPlace } from '@sinkscope/metrics';
import { hasAttention, hiddenStateHooks, hookRows, type ExtractionModel, type HookName, type HostArray } from '@sinkscope/model-io';
import type { InterventionSpec } from '@sinkscope/model-io';
import { nextTokenLoss } from './loss.js';

export interface ReadingSettings {
  /** Sink_1 threshold, strict alpha_1 > eps (Gu et al. 2025 sec. 3.2). */
  readonly eps: number;
  /** Entropy preprocessing, as the entropy step (raw = paper default). */
  readonly entropy?: { readonly center: boolean; readonly normalizeRows: boolean };
  /** Sequences per forward pass (default 8). */
  readonly batchSize?: number;
  /** Also keep each position's mean vector, the median and the top |activation| per hidden state (massive dims, baseline means, the massive-activation test). */
  readonly firstTokenStats?: boolean;
}

/** One sequence's numbers; arrays are per hidden-state index 0..L, except `sinkRate` per attention layer 0..L-1. */
export interface SequenceReadings {
  readonly firstTokenNorm: Float64Array;
  readonly otherTokensMeanNorm: Float64Array;
  /** Shannon matrix entropy / ln T (Queipo-de-Llano et al. 2025 eq. 1, natural log). */
  readonly entropyNormalized: Float64Array;
  /** Their Theorem 1 bound on the (unnormalised) entropy, nats. */
  readonly entropyBound: Float64Array;
  /** Mean pairwise cosine of all tokens, first included. */
  readonly meanCosine: Float64Array;
  /** Fraction of heads of each attention layer with alpha_1 = (1/T) sum_t A[t, 1] > eps (NaN for a block without attention). */
  readonly sinkRate: Float64Array;
  /** Summed next-token cross-entropy (nats) and how many tokens were predicted (T - 1). */
  readonly nllSum: number;
  readonly predicted: number;
}

export interface RunReadings {
  readonly layers: number;
  readonly sequences: readonly SequenceReadings[];
  /**
   * With `firstTokenStats`: [L+1][minT * d] mean over sequences of each position's vector (positions
   * below the shortest length; position 0 = the first token), [L+1] mean median |a| and [L+1] the
   * largest |a| over all sequences, tokens and dims.
   */
  readonly positionMean?: readonly Float64Array[];
  readonly medianAbs?: Float64Array;
  readonly topAbs?: Float64Array;
}

/**
 * Run the model over the sequences with the interventions (none = the baseline) and measure every
 * sequence's hidden states, attention maps and logits; only one batch's outputs are held at a time.
 * Interventions are declarative: each engine compiles them (onnx into the graph, tfjs per batch).
 */
export async function runReadings(
  model: ExtractionModel,
  sequences: readonly (readonly number[])[],
  interventions: readonly InterventionSpec[],
  settings: ReadingSettings,
): Promise<RunReadings> {
  if (sequences.length === 0) throw new Error('runReadings: no sequences');
  const { arch } = model;
  const L = arch.nLayers;
  const d = arch.dModel;
  const hidden = hiddenStateHooks(arch);
  // a block without attention has no pattern (its sink rate is NaN)
  const patterns = Array.from({ length: L }, (_, l) => (hasAttention(arch, l) ? (`blocks.${l}.attn.hook_pattern` as HookName) : undefined));
  const capture: HookName[] = [...hidden, ...patterns.filter((p): p is HookName => p !== undefined), 'logits'];
  const entropy = new LayerEntropyAccumulator({ states: L + 1, center: settings.entropy?.center ?? false, normalize: settings.entropy?.normalizeRows ?? false });
  const minT = Math.min(...sequences.map((s) => s.length));
  const positionSum = settings.firstTokenStats ? hidden.map(() => new Float64Array(minT * d)) : undefined;
  const medianSum = settings.firstTokenStats ? new Float64Array(L + 1) : undefined;
  const topAbs = settings.firstTokenStats ? new Float64Array(L + 1) : undefined;
  const out: SequenceReadings[] = [];
  const batchSize = settings.batchSize ?? 8;
  for (let start = 0; start < sequences.length; start += batchSize) {
    const chunk = sequences.slice(start, start + batchSize);
    const run = await model.run(chunk, {
      capture,
      ...(interventions.length ? { interventions } : {}),
    });
    const get = (hook: HookName): HostArray => {
      const t = run.get(hook);
      if (!t) throw new Error(`runReadings: the model returned no ${hook}`);
      return t;
    };
    chunk.forEach((seq, b) => {
      const T = hookRows(arch, 'blocks.0.hook_resid_pre', seq.length); // rows inside the blocks (a sink token is row 0)
      if (seq.length < 2) throw new Error(`runReadings: sequence ${start + b} has ${seq.length} token(s); first-vs-rest norms and next-token loss need at least 2`);
      const m = {
        firstTokenNorm: new Float64Array(L + 1),
        otherTokensMeanNorm: new Float64Array(L + 1),
        entropyNormalized: new Float64Array(L + 1),
        entropyBound: new Float64Array(L + 1),
        meanCosine: new Float64Array(L + 1),
        sinkRate: new Float64Array(L),
      };
      hidden.forEach((hook, i) => {
        const t = get(hook);
        const tMax = t.shape[1];
        const x = t.data.subarray(b * tMax * d, (b * tMax + T) * d); // [T, d]
        let rest = 0;
        for (let p = 0; p < T; p++) {
          let s = 0;
          for (let c = p * d; c < (p + 1) * d; c++) s += x[c] * x[c];
          if (p === 0) m.firstTokenNorm[i] = Math.sqrt(s);
          else rest += Math.sqrt(s);
        }
        m.otherTokensMeanNorm[i] = rest / (T - 1);
        const e = entropy.add(i, x, T, d);
        m.entropyNormalized[i] = e.shannonNormalized;
        m.entropyBound[i] = e.bound ?? NaN;
        m.meanCosine[i] = e.meanCosineIncludingBos ?? NaN;
        if (positionSum && medianSum && topAbs) {
          for (let c = 0; c < minT * d; c++) positionSum[i][c] += x[c];
          const magnitudes = Float64Array.from(x, Math.abs);
          for (const m of magnitudes) if (m > topAbs[i]) topAbs[i] = m;
          medianSum[i] += medianInPlace(magnitudes);
        }
      });
      patterns.forEach((hook, l) => {
        if (hook === undefined) {
          m.sinkRate[l] = NaN;
          return;
        }
        const t = get(hook); // [B, H, Tmax, Tmax]
        const [, heads, tMax] = t.shape;
        let sinks = 0;
        for (let h = 0; h < heads; h++) {
          const base = (b * heads + h) * tMax * tMax;
          let col = 0;
          for (let q = 0; q < T; q++) col += t.data[base + q * tMax];
          if (col / T > settings.eps) sinks++;
        }
        m.sinkRate[l] = sinks / heads;
      });
      const logits = get('logits');
      const { nllSum, predicted } = nextTokenLoss(logits, b, seq);
      out.push({ ...m, nllSum, predicted });
    });
  }
  const n = sequences.length;
  return {
    layers: L,
    sequences: out,
    ...(positionSum && medianSum && topAbs ? { positionMean: positionSum.map((v) => v.map((x) => x / n)), medianAbs: medianSum.map((x) => x / n), topAbs } : {}),
  };
}
