import { type Activations, requireInt, requireShape } from './validate.js';

/** L2 norm of every token: x [T, d] -> Float64Array [T]. */
export function tokenNorms(x: Activations, seqLen: number, dim: number): Float64Array {
  requireInt('seqLen', seqLen);
  requireInt('dim', dim);
  requireShape('hidden state', x, { T: seqLen, d: dim });
  return rowNorms(x, seqLen, dim);
}

/** L2 norm of every (head, token) of a key or value tensor: x [H, T, hd] -> Float64Array [H * T]. */
export function headTokenNorms(x: Activations, heads: number, seqLen: number, headDim: number): Float64Array {
  requireInt('heads', heads);
  requireInt('seqLen', seqLen);
  requireInt('headDim', headDim);
  requireShape('per-head tensor', x, { heads, T: seqLen, hd: headDim });
  return rowNorms(x, heads * seqLen, headDim);
}

function rowNorms(x: Activations, rows: number, dim: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = r * dim, end = c + dim; c < end; c++) s += x[c] * x[c];
    out[r] = Math.sqrt(s);
  }
  return out;
}

/** First token vs the rest of one sequence: ||h_1|| and (1/(T-1)) sum_{t>1} ||h_t||. */
export interface FirstRestNorms {
  firstTokenNorm: number;
  otherTokensMeanNorm: number;
}

/** Splits norms[offset .. offset+T-1] into the first token and the mean of the others (T >= 2). */
export function firstVsRest(norms: Float64Array, seqLen: number, offset = 0): FirstRestNorms {
  if (seqLen < 2) throw new RangeError(`first-vs-rest norms need at least 2 tokens, got T=${seqLen}`);
  let rest = 0;
  for (let t = 1; t < seqLen; t++) rest += norms[offset + t];
  return { firstTokenNorm: norms[offset], otherTokensMeanNorm: rest / (seqLen - 1) };
}

/** Sequence-mean norms and their ratio; the ratio is of the two means, not a mean of ratios. */
export interface NormSummary extends FirstRestNorms {
  /** firstTokenNorm / otherTokensMeanNorm. */
  normRatio: number;
  numSequences: number;
}

/** Running sums of first and rest norms for a set of slots (hidden states, or layer x head). */
class FirstRestSums {
  readonly first: Float64Array;
  readonly rest: Float64Array;
  readonly count: Int32Array;
  constructor(slots: number) {
    this.first = new Float64Array(slots);
    this.rest = new Float64Array(slots);
    this.count = new Int32Array(slots);
  }
  add(slot: number, value: FirstRestNorms): void {
    this.first[slot] += value.firstTokenNorm;
    this.rest[slot] += value.otherTokensMeanNorm;
    this.count[slot] += 1;
  }
  summary(slot: number, what: string): NormSummary {
    const n = this.count[slot];
    if (n === 0) throw new Error(`${what}: no sequences were added`);
    const firstTokenNorm = this.first[slot] / n;
    const otherTokensMeanNorm = this.rest[slot] / n;
    return { firstTokenNorm, otherTokensMeanNorm, normRatio: firstTokenNorm / otherTokensMeanNorm, numSequences: n };
  }
}

function requireIndex(what: string, index: number, size: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`${what} must be an integer in 0..${size - 1}, got ${index}`);
  }
}

/**
 * First-token vs other-token norms per hidden state, streamed one sequence at a time. Per hidden
 * state i: firstTokenNorm = mean over sequences of ||h_1||, otherTokensMeanNorm = mean over
 * sequences of the within-sequence mean ||h_t>1||, normRatio = their ratio.
 */
export class NormAccumulator {
  private readonly sums: FirstRestSums;

  /** @param config.states number of hidden states (L + 1 for an L-layer model with embeddings). */
  constructor(readonly config: { states: number }) {
    requireInt('states', config.states);
    this.sums = new FirstRestSums(config.states);
  }

  /** Add hidden state `index` of one sequence, x [T, d]. */
  add(index: number, x: Activations, seqLen: number, dim: number): FirstRestNorms {
    requireIndex('hidden state index', index, this.config.states);
    const value = firstVsRest(tokenNorms(x, seqLen, dim), seqLen);
    this.sums.add(index, value);
    return value;
  }

  /** Add every hidden state of one sequence; all are checked before any is added. */
  addSequence(states: readonly Activations[], seqLen: number, dim: number): FirstRestNorms[] {
    if (states.length !== this.config.states) {
      throw new RangeError(`addSequence: got ${states.length} hidden states, the accumulator has ${this.config.states}`);
    }
    const values = states.map((x) => firstVsRest(tokenNorms(x, seqLen, dim), seqLen));
    values.forEach((v, i) => this.sums.add(i, v));
    return values;
  }

  /** One summary per hidden state, in index order. */
  result(): NormSummary[] {
    return Array.from({ length: this.config.states }, (_, i) => this.sums.summary(i, `NormAccumulator: hidden state ${i}`));
  }
}

/** Per-head first vs rest norms of keys or values, as [layer][head] matrices. */
export interface HeadNormResult {
  firstTokenNorm: number[][];
  otherTokensMeanNorm: number[][];
  normRatio: number[][];
  numSequences: number;
}

/** The same statistics for keys or values, per layer and head, input [H, T, hd] per layer. */
export class HeadNormAccumulator {
  private readonly sums: FirstRestSums;

  constructor(readonly config: { layers: number; heads: number }) {
    requireInt('layers', config.layers);
    requireInt('heads', config.heads);
    this.sums = new FirstRestSums(config.layers * config.heads);
  }

  /** Add layer `layer` of one sequence, x [H, T, hd] (e.g. post-rotary keys, or values). */
  add(layer: number, x: Activations, seqLen: number, headDim: number): void {
    requireIndex('layer', layer, this.config.layers);
    const { heads } = this.config;
    const norms = headTokenNorms(x, heads, seqLen, headDim);
    const values = Array.from({ length: heads }, (_, h) => firstVsRest(norms, seqLen, h * seqLen));
    values.forEach((v, h) => this.sums.add(layer * heads + h, v));
  }

  result(): HeadNormResult {
    const { layers, heads } = this.config;
    const rows = Array.from({ length: layers }, (_, l) =>
      Array.from({ length: heads }, (_, h) => this.sums.summary(l * heads + h, `HeadNormAccumulator: layer ${l} head ${h}`)),
    );
    const n = rows[0][0].numSequences;
    rows.flat().forEach((s, i) => {
      if (s.numSequences !== n) {
        throw new Error(`HeadNormAccumulator: layer ${Math.floor(i / heads)} received ${s.numSequences} sequences, layer 0 ${n}`);
      }
    });
    return {
      firstTokenNorm: rows.map((r) => r.map((s) => s.firstTokenNorm)),
      otherTokensMeanNorm: rows.map((r) => r.map((s) => s.otherTokensMeanNorm)),
      normRatio: rows.map((r) => r.map((s) => s.normRatio)),
      numSequences: n,
    };
  }
}
