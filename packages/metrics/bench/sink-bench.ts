/**
 * Throughput of the numeric core on synthetic data, streamed one sequence at a time.
 *
 *   npx tsx packages/metrics/bench/sink-bench.ts [--sequences 100] [--layers 32] [--heads 32]
 *     [--seq-len 64] [--states 33] [--dim 4096] [--entropy-sequences 100]
 *
 * Part 1: random causal softmax maps (some heads biased towards the first key) are generated on the
 * fly and fed to a SinkAccumulator computing every sink statistic (eps curve, k = 1..10, prefix
 * curve over T, per head / layer / model). Part 2: matrix entropy (Gram path, T < d), the
 * massive-activation bound and anisotropy of every hidden state of every sequence; the random
 * hidden states come from a small pool (their values do not change the cost). Times are wall-clock
 * on whatever else the machine is running; compare ratios.
 */
import { gramMatrix, LayerEntropyAccumulator, symmetricEigenvalues } from '@sinkscope/entropy';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { attentionScores, SinkAccumulator } from '../src/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} needs a positive integer, got ${process.argv[i + 1]}`);
  return v;
}

const S = arg('sequences', 100);
const L = arg('layers', 32);
const H = arg('heads', 32);
const T = arg('seq-len', 64);
const STATES = arg('states', L + 1);
const D = arg('dim', 4096);
// The entropy part costs about 10 ms per 64 x 4096 matrix; by default it runs on 10 sequences and
// extrapolates (pass --entropy-sequences 100 for the full run).
const ES = arg('entropy-sequences', Math.min(S, 10));

/** xorshift32 in [0, 1): fast enough that generation does not dominate. */
let state = 0x9e3779b9;
function rand(): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
}

/** exp of 256 evenly spaced scores in [0, 4): softmax of quantised random scores without Math.exp per entry. */
const EXP = Float64Array.from({ length: 256 }, (_, i) => Math.exp((4 * i) / 256));
const SINK_BOOST = Math.exp(3);

/** One layer's [H, T, T] causal softmax map of random scores; heads h % 4 == 0 favour key 0. */
function fillRandomMap(out: Float32Array): void {
  const row = new Float64Array(T);
  for (let h = 0; h < H; h++) {
    const boost = h % 4 === 0 ? SINK_BOOST : 1;
    for (let t = 0; t < T; t++) {
      let z = 0;
      for (let k = 0; k <= t; k++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        const e = EXP[state >>> 24] * (k === 0 ? boost : 1);
        row[k] = e;
        z += e;
      }
      const base = h * T * T + t * T;
      const inv = 1 / z;
      for (let k = 0; k <= t; k++) out[base + k] = row[k] * inv;
      for (let k = t + 1; k < T; k++) out[base + k] = 0;
    }
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

// ---- Part 1: sink statistics ----
const prefixLengths = [8, 16, 32].filter((p) => p < T);
const sinks = new SinkAccumulator({ layers: L, heads: H, prefixLengths });
const map = new Float32Array(H * T * T);
let generateMs = 0;
let sinkMs = 0;
let scoreMs = 0;
for (let s = 0; s < S; s++) {
  for (let l = 0; l < L; l++) {
    const t0 = performance.now();
    fillRandomMap(map);
    const t1 = performance.now();
    sinks.addLayer(l, map, T);
    const t1b = performance.now();
    sinkMs += t1b - t1;
    attentionScores(map, H, T); // Mix-Compress-Refine scores (issue 16), timed apart
    scoreMs += performance.now() - t1b;
    generateMs += t1 - t0;
  }
}
const t2 = performance.now();
const sinkResult = sinks.result();
sinkMs += performance.now() - t2;
const maps = S * L;
console.log(`sink statistics: ${S} sequences x ${L} layers x ${H} heads, T=${T} (${maps} maps, ${((maps * H * T * T * 4) / 2 ** 30).toFixed(2)} GiB float32 streamed)`);
console.log(`  accumulate ${seconds(sinkMs)} (${((sinkMs * 1000) / maps).toFixed(1)} us per layer map); generating the maps ${seconds(generateMs)}`);
console.log(`  + Mix-Compress-Refine attention scores ${seconds(scoreMs)} (${((scoreMs * 1000) / maps).toFixed(1)} us per layer map): sink statistics with them take ${((sinkMs + scoreMs) / sinkMs).toFixed(2)}x`);
console.log(
  `  sinkRate ${sinkResult.sinkRate.toFixed(4)} (eps ${sinkResult.eps}, k ${sinkResult.k}), ` +
    `eps curve ${sinkResult.curves.eps.map((p) => p.sinkRate.toFixed(3)).join('/')}, ` +
    `prefix curve ${sinkResult.curves.seqLen.map((p) => `T'=${p.seqLen}:${p.sinkRate.toFixed(3)}`).join(' ')}`,
);

// ---- Part 2: entropy of hidden states ----
const POOL = 4;
const pool = Array.from({ length: POOL }, (_, p) => {
  const x = new Float32Array(T * D);
  for (let i = 0; i < x.length; i += 2) {
    // Box-Muller pairs
    const r = Math.sqrt(-2 * Math.log(rand() + 1e-12));
    const a = 2 * Math.PI * rand();
    x[i] = r * Math.cos(a);
    if (i + 1 < x.length) x[i + 1] = r * Math.sin(a);
  }
  for (let c = 0; c < D; c++) x[c] *= 1 + 30 * p; // a BOS row of growing norm across the pool
  return x;
});
const entropy = new LayerEntropyAccumulator({ states: STATES });
const t3 = performance.now();
for (let s = 0; s < ES; s++) {
  for (let i = 0; i < STATES; i++) entropy.add(i, pool[(s + i) % POOL], T, D);
}
const entropyMs = performance.now() - t3;
entropy.result();
const matrices = ES * STATES;
console.log(`entropy (Shannon, Renyi-2, bound, Theorem 1, mean cosine): ${ES} sequences x ${STATES} hidden states, T=${T}, d=${D} (${matrices} matrices)`);
console.log(
  `  total ${seconds(entropyMs)} (${(entropyMs / matrices).toFixed(2)} ms per matrix)` +
    (ES < S ? `; for ${S} sequences: ${seconds((entropyMs * S) / ES)} (extrapolated)` : ''),
);

// Where the time goes: the T x T Gram (T^2 d / 2 multiply-adds) vs its eigendecomposition.
const reps = Math.min(50, matrices);
let g: Float64Array = new Float64Array(0);
const t4 = performance.now();
for (let r = 0; r < reps; r++) g = gramMatrix(pool[r % POOL], T, D);
const gramMs = (performance.now() - t4) / reps;
const t5 = performance.now();
for (let r = 0; r < reps; r++) symmetricEigenvalues(g, T);
const eigMs = (performance.now() - t5) / reps;
// the previous path: ml-matrix's full decomposition (tred2 + tql2, eigenvectors built and discarded)
const t6 = performance.now();
for (let r = 0; r < reps; r++) new EigenvalueDecomposition(Matrix.from1DArray(T, T, g), { assumeSymmetric: true }).realEigenvalues;
const fullMs = (performance.now() - t6) / reps;
const macs = (T * (T + 1) * D) / 2;
console.log(
  `  per matrix: Gram ${gramMs.toFixed(2)} ms (${(macs / gramMs / 1e6).toFixed(2)} G multiply-adds/s, float64), ` +
    `eigenvalues of ${T}x${T} ${eigMs.toFixed(3)} ms (eigenvalues only) vs ${fullMs.toFixed(3)} ms (ml-matrix with eigenvectors): ${(fullMs / eigMs).toFixed(1)}x`,
);
