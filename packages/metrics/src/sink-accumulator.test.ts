import { describe, expect, it } from 'vitest';
import { causalMap, causalSoftmax, harmonic, prefixBlock, rng } from '../test/maps.js';
import { importanceScores } from './importance.js';
import { SinkAccumulator } from './sink-accumulator.js';

/** [H, 4, 4] map whose rows 1..3 give weight a to the first key (alpha_1 = (1 + 3a) / 4). */
function firstKeyMap(H: number, a: number): Float32Array {
  return causalMap(H, 4, (_h, t) => (t === 0 ? [1] : [a, ...Array(t).fill((1 - a) / t)]));
}

describe('SinkAccumulator', () => {
  it('all mass on key 1: Sink_1 = 100% at every eps, per head, layer and model', () => {
    const acc = new SinkAccumulator({ layers: 2, heads: 3, ks: [1, 2] });
    for (let s = 0; s < 3; s++) acc.addSequence([firstKeyMap(3, 1), firstKeyMap(3, 1)]);
    const r = acc.result();
    expect(r.sinkRate).toBe(1);
    expect(r.meanAlpha).toBe(1);
    expect(r.perLayer.rate).toEqual([1, 1]);
    expect(r.perHead.rate).toEqual([[1, 1, 1], [1, 1, 1]]);
    expect(r.curves.eps.map((p) => p.sinkRate)).toEqual([1, 1, 1, 1]);
    expect(r.curves.k).toEqual([
      { k: 1, sinkRate: 1, meanAlpha: 1 },
      { k: 2, sinkRate: 0, meanAlpha: 0 },
    ]);
  });

  it('tells the two readings apart: threshold per sequence vs threshold on the sequence mean', () => {
    const acc = new SinkAccumulator({ layers: 1, heads: 2, ks: [1] });
    acc.addLayer(0, firstKeyMap(2, 0.6)); // alpha_1 = 0.7
    acc.addLayer(0, firstKeyMap(2, 0)); // alpha_1 = 0.25
    const r = acc.result();
    expect(r.perHead.meanAlpha[0][0]).toBeCloseTo(0.475, 7);
    expect(r.sinkRate).toBe(0.5);
    expect(r.sinkRateOfMeanAlpha).toBe(1);
    expect(r.curves.eps).toEqual([
      { eps: 0.2, sinkRate: 1 },
      { eps: 0.3, sinkRate: 0.5 },
      { eps: 0.4, sinkRate: 0.5 },
      { eps: 0.5, sinkRate: 0.5 },
    ]);
  });

  it('the indicator is strict: alpha exactly eps is not a sink', () => {
    const map = new Float64Array([1, 0, 0, 1]); // alpha_1 = (1 + 0) / 2 = 0.5 exactly
    const acc = new SinkAccumulator({ layers: 1, heads: 1, eps: [0.5, 0.4999], ks: [1], primaryEps: 0.5 });
    acc.addLayer(0, map);
    const r = acc.result();
    expect(r.sinkRate).toBe(0);
    expect(r.curves.eps).toEqual([
      { eps: 0.4999, sinkRate: 1 },
      { eps: 0.5, sinkRate: 0 },
    ]);
  });

  it('uniform attention: curve over k follows the harmonic formula; per-layer rates average heads', () => {
    const T = 32;
    const uniform = causalMap(2, T, (_h, t) => Array(t + 1).fill(1 / (t + 1)));
    const acc = new SinkAccumulator({ layers: 1, heads: 2, eps: [0.1], primaryEps: 0.1 });
    acc.addLayer(0, uniform);
    const r = acc.result();
    for (const point of r.curves.k) {
      const expected = (harmonic(T) - harmonic(point.k - 1)) / (T - point.k + 1);
      expect(point.meanAlpha).toBeCloseTo(expected, 6);
      expect(point.sinkRate).toBe(expected > 0.1 ? 1 : 0);
    }
  });

  it('curve over T equals re-running on the first T\' tokens (causal prefix = top-left block)', () => {
    const H = 3;
    const T = 24;
    const prefixes = [4, 8, 16];
    const rand = rng(7);
    const layers = 2;
    const seqs = Array.from({ length: 4 }, () =>
      Array.from({ length: layers }, () => {
        // a strong first-key bias on some heads so rates are neither all 0 nor all 1
        const scores = new Float64Array(H * T * T).map((_, i) => 2 * rand() + (i % T === 0 && Math.floor(i / (T * T)) !== 1 ? 1.5 : 0));
        return causalSoftmax(scores, H, T);
      }),
    );
    const full = new SinkAccumulator({ layers, heads: H, prefixLengths: prefixes });
    for (const maps of seqs) full.addSequence(maps);
    const curve = full.result().curves.seqLen;
    expect(curve.map((p) => p.seqLen)).toEqual(prefixes);
    for (const [i, prefix] of prefixes.entries()) {
      const short = new SinkAccumulator({ layers, heads: H, ks: [1] });
      for (const maps of seqs) short.addSequence(maps.map((m) => prefixBlock(m, H, T, prefix)));
      const r = short.result();
      expect(curve[i].meanAlpha).toBeCloseTo(r.meanAlpha, 13);
      expect(curve[i].sinkRate).toBe(r.sinkRate);
    }
    expect(new Set(curve.map((p) => p.sinkRate)).size).toBeGreaterThan(1);
  });

  it("'abs-sum' applies to the curve over T as well", () => {
    const H = 2;
    const T = 10;
    const rand = rng(3);
    const scores = new Float64Array(H * T * T).map(() => rand() - 0.3);
    const acc = new SinkAccumulator({ layers: 1, heads: H, prefixLengths: [5], normalization: 'abs-sum' });
    acc.addLayer(0, scores);
    const block = prefixBlock(scores, H, T, 5);
    const alpha = importanceScores(block, H, 5, { normalization: 'abs-sum' });
    expect(acc.result().curves.seqLen[0].meanAlpha).toBeCloseTo((alpha[0] + alpha[5]) / 2, 14);
  });

  it('checks input before adding anything, and refuses a result with layers missing', () => {
    const acc = new SinkAccumulator({ layers: 2, heads: 2, ks: [1] });
    const good = firstKeyMap(2, 0.5);
    const bad = good.slice();
    bad[4] = 0.9; // row 1 of head 0 no longer sums to 1
    expect(() => acc.addSequence([good, bad])).toThrow(/layer|head 0, query 1/);
    expect(acc.sequencesPerLayer).toEqual([0, 0]);
    acc.addLayer(0, good);
    expect(() => acc.result()).toThrow(/layer 1 received 0 sequences but layer 0 received 1/);
    expect(() => acc.addLayer(2, good)).toThrow(/layer must be an integer in 0..1/);
    expect(() => new SinkAccumulator({ layers: 1, heads: 2 }).addLayer(0, good)).toThrow(/ks include k=10 but the sequence has only T=4/);
  });
});
