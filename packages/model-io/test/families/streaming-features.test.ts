import { describe, expect, it } from 'vitest';
import { isSlidingLayer, layerParameterCount, TfjsModel, type HookName } from '../../src/index.js';
import { OnnxModel } from '../../src/engines/onnx/index.js';
import { tracedWeightBytes } from '../onnx/traced-bytes.js';
import { extraFixtureDir } from '../../src/testing/index.js';
import { goldenRun } from '../golden-parity.js';

describe('sparse MoE (mixtral fixture)', () => {
  it('blocks.{l}.mlp.hook_router_probs is [B,T,experts], each row a distribution', async () => {
    const model = await TfjsModel.load(extraFixtureDir('mixtral'), { backend: 'wasm' });
    try {
      const probs = model.run([[1, 5, 9]], { capture: ['blocks.1.mlp.hook_router_probs'] }).get('blocks.1.mlp.hook_router_probs')!;
      expect(probs.shape).toEqual([1, 3, 4]);
      for (let t = 0; t < 3; t++) expect(probs.data.subarray(4 * t, 4 * t + 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    } finally {
      model.dispose();
    }
  });

  it("a streamed block holds that block's experts only: its graph's weights are one layer's", () => {
    const bytes = tracedWeightBytes(extraFixtureDir('mixtral'), () => ({ embed: false, firstLayer: 1, lastLayer: 1, head: false, residualOut: true }));
    expect(bytes.tensorNames.filter((n) => n.startsWith('model.layers.1.'))).toHaveLength(2 + 1 + 4 * 3 + 4); // 2 norms, router, 4 experts x 3, q/k/v/o
    expect(bytes.graph).toBe(2 * layerParameterCount(bytes.arch)); // the fixture is BF16, referenced as stored
    expect(bytes.graph).toBeLessThan(bytes.checkpoint / 2);
  });
});

describe('sliding-window attention with window < T', () => {
  it.each(['mistral_sliding_window', 'gemma2', 'gemma3_text'])('%s: keys at t - s >= window get exactly 0 on sliding layers, full causal rows elsewhere (tfjs and onnx)', async (fixture) => {
    const dir = extraFixtureDir(fixture);
    const { sequences, seqLen: T } = goldenRun(fixture, dir);
    const tfjs = await TfjsModel.load(dir, { backend: 'wasm' });
    const onnx = await OnnxModel.load(dir, { threads: 1 });
    try {
      const arch = tfjs.arch;
      const window = arch.slidingWindow!;
      expect(window).toBeLessThan(T);
      const hooks = Array.from({ length: arch.nLayers }, (_, l) => `blocks.${l}.attn.hook_pattern` as HookName);
      const outputs = [tfjs.run(sequences, { capture: hooks }), await onnx.run(sequences, { capture: hooks })];
      for (const out of outputs) {
        hooks.forEach((hook, l) => {
          const p = out.get(hook)!.data;
          let outside = 0;
          let beyondWindowMass = 0;
          for (let i = 0; i < p.length; i++) {
            const s = i % T;
            const t = Math.floor(i / T) % T;
            if (s > t || t - s >= window) outside = Math.max(outside, s > t || isSlidingLayer(arch, l) ? Math.abs(p[i]) : 0);
            if (s <= t && t - s >= window) beyondWindowMass += p[i];
          }
          expect(outside, `${hook}: mass outside the mask`).toBe(0);
          // a global layer does attend beyond the window
          if (!isSlidingLayer(arch, l)) expect(beyondWindowMass).toBeGreaterThan(0.1);
        });
      }
    } finally {
      tfjs.dispose();
      await onnx.dispose();
    }
  });
});

describe('rotary tables that depend on the padded batch length (dynamic rope)', () => {
  it('streaming batches every segment alike, so each batch gets the numbers tfjs gives that batch', async () => {
    const dir = extraFixtureDir('llama_rope_dynamic');
    // lengths 5..16 around max_position_embeddings 12; a budget at which per-segment batch sizes would differ
    const sequences = Array.from({ length: 12 }, (_, i) => Array.from({ length: 5 + i }, (_, t) => (t * 7 + i) % 100));
    const streamed = await OnnxModel.load(dir, { threads: 1, streaming: true, memoryBudgetBytes: 400e3 });
    const tfjs = await TfjsModel.load(dir, { backend: 'wasm' });
    try {
      let worst = 0;
      const summary = await streamed.runMany(sequences, {
        capture: ['logits'],
        onBatch: (b) => {
          const want = tfjs.run(sequences.slice(b.start, b.start + b.count), { capture: ['logits'] }).get('logits')!;
          const got = b.outputs.get('logits')!;
          const [, T, V] = got.shape;
          // real positions only (streaming re-pads each sequence's residual with zeros)
          b.lengths.forEach((len, j) => {
            for (let i = j * T * V; i < (j * T + len) * V; i++) worst = Math.max(worst, Math.abs(got.data[i] - want.data[i]));
          });
        },
      });
      expect(new Set(summary.batchSizes).size).toBe(1);
      expect(summary.batchSizes[0]).toBeLessThan(12);
      expect(worst).toBeLessThan(1e-5);
    } finally {
      await streamed.dispose();
      tfjs.dispose();
    }
  });
});
