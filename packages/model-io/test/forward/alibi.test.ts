import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alibiSlopes, TfjsModel, writeSafetensors, type HookName } from '../../src/index.js';
import { OnnxModel } from '../../src/engines/onnx/index.js';
import { tinyWeights } from '../fuzz/tiny-checkpoint.js';

describe('ALiBi slopes (transformers bloom build_alibi_tensor)', () => {
  it.each([
    // a power of two: 2^(-8h/H), h = 1..H
    [4, [-2, -4, -6, -8]],
    [8, [-1, -2, -3, -4, -5, -6, -7, -8]],
    // 6 heads: the 4-head slopes, then odd powers of 2^-1 (the 8-head slopes the first 4 skipped)
    [6, [-2, -4, -6, -8, -1, -3]],
    // 12 heads: the 8-head slopes, then odd powers of 2^-0.5
    [12, [-1, -2, -3, -4, -5, -6, -7, -8, -0.5, -1.5, -2.5, -3.5]],
  ])('%i heads: slopes 2^%j', (heads, exponents) => {
    const slopes = alibiSlopes(heads);
    expect(slopes).toHaveLength(heads);
    // powers of a float32 base, as torch.pow computes them: exact for 2^-k, within a few float32 ulps of 2^-(k+0.5)
    slopes.forEach((m, h) => expect(Math.abs(m / 2 ** exponents[h] - 1), `head ${h}`).toBeLessThan(Number.isInteger(exponents[h]) ? 1e-15 : 5e-7));
  });
});

/**
 * A 6-head Bloom whose q, k and v are zero: every score is the ALiBi bias alone, so head h's pattern
 * row t is softmax over keys s <= t of slope_h * s, computed here by hand.
 */
describe('ALiBi in both engines: zero q.k leaves softmax(slope_h * s)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sinkscope-alibi-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = { model_type: 'bloom', vocab_size: 16, hidden_size: 12, n_layer: 1, n_head: 6, layer_norm_epsilon: 1e-5, bos_token_id: 1, eos_token_id: 2 };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const weights = tinyWeights(config).map((t) => (t.name.includes('query_key_value') ? { ...t, data: new Float32Array(t.data.length) } : t));
  writeSafetensors(join(dir, 'model.safetensors'), weights);
  const ids = [[1, 5, 9, 3, 7, 2, 11, 4, 6]];
  const T = ids[0].length;
  const slopes = [-2, -4, -6, -8, -1, -3].map((e) => 2 ** e);
  const expected = new Float64Array(6 * T * T);
  slopes.forEach((m, h) => {
    for (let t = 0; t < T; t++) {
      let z = 0;
      for (let s = 0; s <= t; s++) z += Math.exp(m * s);
      for (let s = 0; s <= t; s++) expected[(h * T + t) * T + s] = Math.exp(m * s) / z;
    }
  });
  const hook: HookName = 'blocks.0.attn.hook_pattern';

  it('tfjs', async () => {
    const model = await TfjsModel.load(dir, { backend: 'wasm' });
    try {
      const got = model.run(ids, { capture: [hook] }).get(hook)!;
      expect(got.shape).toEqual([1, 6, T, T]);
      got.data.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-6));
    } finally {
      model.dispose();
    }
  });

  it('onnx', async () => {
    const model = await OnnxModel.load(dir, { threads: 1 });
    try {
      const got = (await model.run(ids, { capture: [hook] })).get(hook)!;
      got.data.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-6));
    } finally {
      await model.dispose();
    }
  });
});
