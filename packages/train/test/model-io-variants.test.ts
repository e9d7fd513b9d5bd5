import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TfjsModel } from '@sinkscope/model-io';
import { scaledMaxDiff } from '@sinkscope/model-io/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { forward, initParams, normaliseModelConfig, saveModelFolder, useBackend } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sinkscope-variants-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Variants saved as `model_type: "sinkscope"` load through model-io and give the trainer's own
 * logits: two independent forward passes over one checkpoint.
 */
describe.each([
  { name: 'rmsnorm-rope', variant: { norm: 'rmsnorm', positionEncoding: 'rope' } },
  { name: 'sinusoidal', variant: { positionEncoding: 'sinusoidal' } },
  { name: 'no-positions', variant: { positionEncoding: 'none' } },
] as const)('model-io reads the $name variant', ({ name, variant }) => {
  it('with the trainer’s logits (<= 1e-4 scaled)', async () => {
    await useBackend('wasm');
    const config = normaliseModelConfig({ vocabSize: 33, nPositions: 16, nEmbd: 32, nLayer: 2, nHead: 4, bosTokenId: 32, eosTokenId: 32, ...variant });
    const params = initParams(config, 7, 0.2);
    const out = join(dir, name);
    saveModelFolder(out, config, params);
    const ids = [[32, 3, 9, 27, 1, 5, 8, 2], [32, 30, 4, 4, 11, 0, 19, 6]];
    const expected = tf.tidy(() => forward(config, params, tf.tensor2d(ids, [2, 8], 'int32')).logits.dataSync() as Float32Array);
    const model = await TfjsModel.load(out, { backend: 'wasm' });
    try {
      expect(model.arch.modelType).toBe('sinkscope');
      const got = model.run(ids, { capture: ['logits'] }).get('logits')!.data;
      expect(scaledMaxDiff(got, expected)).toBeLessThan(1e-4);
    } finally {
      model.dispose();
    }
  });
});

describe('variants the shared forward pass cannot run yet', () => {
  it('are refused naming the field and the supported values', async () => {
    await useBackend('wasm');
    const config = normaliseModelConfig({ vocabSize: 33, nPositions: 16, nEmbd: 32, nLayer: 1, nHead: 4, bosTokenId: 32, eosTokenId: 32, attention: 'sigmoid' });
    const out = join(dir, 'sigmoid');
    saveModelFolder(out, config, initParams(config, 1));
    await expect(TfjsModel.load(out, { backend: 'wasm' })).rejects.toThrow(/field 'attention_op': "sigmoid" is not supported by the model-io forward pass yet \(supported: "softmax"\)/);
  });
});
