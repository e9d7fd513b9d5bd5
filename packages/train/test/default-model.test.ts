import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, TfjsModel } from '@sinkscope/model-io';
import { useBackend } from '../src/engine/backend.js';
import { loadModelFolder } from '../src/model/checkpoint.js';
import { forward } from '../src/model/tfjs-forward.js';
import { disposeParams } from '../src/model/params.js';
import { normaliseTrainConfig } from '../src/training/config.js';
import { Trainer } from '../src/training/trainer.js';

const DEFAULT_MODEL = fileURLToPath(new URL('../default-model/', import.meta.url));

describe('the shipped default model', () => {
  beforeAll(() => useBackend('wasm'));

  it('has a real sink on the held-out set: model Sink_1 >= 20 %, layer 0 >= 50 %', () => {
    const { config, params } = loadModelFolder(DEFAULT_MODEL);
    const trainer = new Trainer(normaliseTrainConfig({ model: config, steps: 1 }), params);
    const e = trainer.evaluate();
    trainer.dispose();
    expect(e.sinkRate).toBeGreaterThanOrEqual(0.2);
    expect(Math.max(...e.perLayerSinkRate.map((x) => x ?? 0))).toBeGreaterThanOrEqual(0.5);
    expect(e.loss).toBeLessThan(1.5);
    expect(e.copyAccuracy).toBeGreaterThan(0.95);
  });

  it("loads in @sinkscope/model-io's own forward pass with the same logits and patterns", async () => {
    const ids = [
      [64, 3, 17, 40, 22, 9, 9, 51, 0, 33],
      [64, 60, 2, 2, 14, 7, 29, 44, 5, 12],
    ];
    const theirs = await TfjsModel.load(DEFAULT_MODEL, { backend: 'wasm' });
    const captured = theirs.run(ids, { capture: ['logits', 'blocks.0.attn.hook_pattern'] });
    theirs.dispose();
    const { config, params } = loadModelFolder(DEFAULT_MODEL);
    const ours = tf.tidy(() => {
      const out = forward(config, params, tf.tensor2d(ids.flat(), [2, 10], 'int32'), { attentions: true });
      return { logits: out.logits, pattern: out.attentions[0] };
    });
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let m = 0;
      for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
      return m;
    };
    expect(maxDiff(ours.logits.dataSync(), captured.get('logits')!.data)).toBeLessThan(1e-4);
    expect(maxDiff(ours.pattern.dataSync(), captured.get('blocks.0.attn.hook_pattern')!.data)).toBeLessThan(1e-5);
    tf.dispose([ours.logits, ours.pattern]);
    disposeParams(params);
  });

  it("tokenizer.json loads through @sinkscope/model-io's tokenizer loader", async () => {
    const tokenizer = await loadTokenizer(DEFAULT_MODEL);
    expect(tokenizer.vocabSize).toBe(65);
    expect(tokenizer.bosTokenId).toBe(64);
    expect(tokenizer.encodeRaw('t0 t12 t63')).toEqual([0, 12, 63]);
    expect(tokenizer.tokenToId('<bos>')).toBe(64);
    expect(tokenizer.encode('t5 t6', { bosPolicy: 'always' }).ids).toEqual([64, 5, 6]);
  });
});
