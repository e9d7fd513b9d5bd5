import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, TfjsModel } from '@sinkscope/model-io';
import { useBackend } from '../src/engine/backend.js';
import { loadModelFolder } from '../src/model/checkpoint.js';
import { forward } from '../src/model/tfjs-forward.js';
import { disposeParams } from '../src/model/params.js';
import { normaliseTrainConfig, type TrainConfigInput } from '../src/training/config.js';
import { Trainer } from '../src/training/trainer.js';

const DEFAULT_MODEL = fileURLToPath(new URL('../default-model/', import.meta.url));

describe('the shipped default model', () => {
  beforeAll(() => useBackend('wasm'));

  it("meets issue 22's sink, peak and valley goals on its own held-out set (tfjs, independent of the ONNX Runtime engine that trained it)", () => {
    const { config, params } = loadModelFolder(DEFAULT_MODEL);
    // the run's own config (task world 1, offsets {1, 2}, a random first token): its held-out rows
    const trained = JSON.parse(readFileSync(`${DEFAULT_MODEL}train-config.json`, 'utf8')) as TrainConfigInput;
    const trainer = new Trainer(normaliseTrainConfig({ ...trained, model: config, steps: 1, engine: 'tfjs' }), params);
    const e = trainer.evaluate();
    trainer.dispose();
    // the model card's numbers (ONNX Runtime evaluation): Sink_1 46.5 % (block 2 93 %), ratio 10.45 at h1, valley
    expect(e.perLayerSinkRate).toEqual([null, 0, 0.93]);
    expect(e.sinkRate).toBeCloseTo(0.465, 6);
    expect(e.normRatio[1]).toBeCloseTo(10.45, 1);
    expect(e.normRatio[1]).toBeGreaterThanOrEqual(10);
    const [h0, h1, h2, h3] = e.entropyNormalized;
    expect(h1).toBeCloseTo(0.362, 2);
    expect(h2).toBeCloseTo(0.352, 2);
    expect(Math.min(h0, h3) - Math.max(h1, h2)).toBeGreaterThanOrEqual(0.25);
    expect(e.loss).toBeCloseTo(1.3897, 2);
    expect(e.copyAccuracy).toBeCloseTo(0.946, 2);
  });

  it("loads in @sinkscope/model-io's own forward pass with the same logits and patterns", async () => {
    // ordinary first tokens, as it was trained (no BOS)
    const ids = [
      [12, 3, 17, 40, 22, 9, 9, 51, 0, 33],
      [7, 60, 2, 2, 14, 7, 29, 44, 5, 12],
    ];
    const theirs = await TfjsModel.load(DEFAULT_MODEL, { backend: 'wasm' });
    const captured = theirs.run(ids, { capture: ['logits', 'blocks.1.attn.hook_pattern', 'blocks.2.attn.hook_pattern'] });
    theirs.dispose();
    const { config, params } = loadModelFolder(DEFAULT_MODEL);
    const ours = tf.tidy(() => {
      const out = forward(config, params, tf.tensor2d(ids.flat(), [2, 10], 'int32'), { attentions: true });
      return { logits: out.logits, patterns: out.attentions }; // blocks 1 and 2 (block 0 has no attention)
    });
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let m = 0;
      for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
      return m;
    };
    expect(ours.patterns).toHaveLength(2);
    expect(maxDiff(ours.logits.dataSync(), captured.get('logits')!.data)).toBeLessThan(1e-3);
    expect(maxDiff(ours.patterns[0].dataSync(), captured.get('blocks.1.attn.hook_pattern')!.data)).toBeLessThan(1e-5);
    expect(maxDiff(ours.patterns[1].dataSync(), captured.get('blocks.2.attn.hook_pattern')!.data)).toBeLessThan(1e-5);
    // block 2 is the sink: every query past the first puts most of its attention on position 0
    const sink = captured.get('blocks.2.attn.hook_pattern')!.data;
    for (let t = 1; t < 10; t++) expect(sink[t * 10]).toBeGreaterThan(0.3);
    tf.dispose([ours.logits, ...ours.patterns]);
    disposeParams(params);
  });

  it("tokenizer.json loads through @sinkscope/model-io's tokenizer loader", async () => {
    const tokenizer = await loadTokenizer(DEFAULT_MODEL);
    expect(tokenizer.vocabSize).toBe(65);
    expect(tokenizer.bosTokenId).toBe(64);
    expect(tokenizer.encodeRaw('t0 t12 t63')).toEqual([0, 12, 63]);
    expect(tokenizer.tokenToId('<bos>')).toBe(64);
    expect(tokenizer.encode('t5 t6', { bosPolicy: 'always' }).ids).toEqual([64, 5, 6]);
    // trained without BOS: the `auto` policy adds none
    expect(tokenizer.encode('t5 t6', { bosPolicy: 'auto' }).ids).toEqual([5, 6]);
  });
});
