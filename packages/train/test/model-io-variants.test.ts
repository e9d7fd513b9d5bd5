import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { OnnxModel, TfjsModel } from '@sinkscope/model-io';
import { scaledMaxDiff } from '@sinkscope/model-io/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { forward, initParams, normaliseModelConfig, saveModelFolder, useBackend } from '../src/index.js';
import { TRAINER_VARIANTS } from './variants.js';

const dir = mkdtempSync(join(tmpdir(), 'sinkscope-variants-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Every variant the trainer writes loads in the pipelines' engines (model-io's TfjsModel and
 * OnnxModel over the saved `model_type: "sinkscope"` folder) with the trainer's own logits: the
 * checkpoint's names, fused q/k/v, config.json fields and the sinkscope adapter agree. (Both run
 * model-io's one forward pass; the pass itself is checked against a float64 reference in
 * model-io's test/forward/sinkscope-variants.test.ts.)
 */
describe.each(TRAINER_VARIANTS)('the %s variant saved by the trainer', (name, variant) => {
  it('loads on both engines with the trainer’s logits (<= 1e-5 scaled)', async () => {
    await useBackend('wasm');
    const config = normaliseModelConfig({ vocabSize: 33, nPositions: 16, nEmbd: 32, nLayer: 2, nHead: 4, bosTokenId: 32, eosTokenId: 32, ...variant });
    const params = initParams(config, 7, 0.2);
    const out = join(dir, name.replace(/[^a-z0-9]+/gi, '-'));
    saveModelFolder(out, config, params);
    const ids = [[32, 3, 9, 27, 1, 5, 8, 2], [32, 30, 4, 4, 11, 0, 19, 6]];
    const expected = tf.tidy(() => forward(config, params, tf.tensor2d(ids, [2, 8], 'int32')).logits.dataSync() as Float32Array);
    const tfjs = await TfjsModel.load(out, { backend: 'wasm' });
    const onnx = await OnnxModel.load(out, { threads: 1 });
    try {
      expect(tfjs.arch.modelType).toBe(Object.keys(variant).length === 0 ? 'gpt2' : 'sinkscope');
      expect(scaledMaxDiff(tfjs.run(ids, { capture: ['logits'] }).get('logits')!.data, expected)).toBeLessThan(1e-5);
      expect(scaledMaxDiff((await onnx.run(ids, { capture: ['logits'] })).get('logits')!.data, expected)).toBeLessThan(1e-5);
    } finally {
      tfjs.dispose();
      await onnx.dispose();
    }
  });
});
