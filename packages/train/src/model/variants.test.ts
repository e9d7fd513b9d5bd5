import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../engine/backend.js';
import { loadModelFolder, saveModelFolder } from './checkpoint.js';
import { normaliseModelConfig, type ModelConfig } from './config.js';
import { TRAINER_VARIANTS as VARIANTS } from '../../test/variants.js';
import { forward, languageModelLoss } from './tfjs-forward.js';
import { disposeParams, initParams, type ModelParams } from './params.js';

const B = 2;
const T = 6;

let ids: tf.Tensor2D;
let targets: tf.Tensor2D;
beforeAll(async () => {
  await useBackend('wasm');
  ids = tf.tensor2d([[12, 3, 7, 7, 1, 9], [0, 15, 2, 8, 8, 4]], [B, T], 'int32');
  targets = tf.tensor2d([[3, 7, 7, 1, 9, 5], [15, 2, 8, 8, 4, 11]], [B, T], 'int32');
});
afterAll(() => tf.dispose([ids, targets]));
const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-variants-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


function tiny(variant: Partial<ModelConfig>): ModelConfig {
  return normaliseModelConfig({ vocabSize: 17, nPositions: 8, nEmbd: 8, nLayer: 2, nHead: 2, bosTokenId: 16, eosTokenId: 16, ...variant });
}

/** Central finite difference of the loss along a random direction vs the autodiff gradient. */
function directionalCheck(config: ModelConfig, params: ModelParams, seed: number): { analytic: number; numeric: number } {
  const vars = [...params.values()];
  // Unit-norm random direction over all parameters, so the step eps is small in every coordinate.
  const total = vars.reduce((n, v) => n + v.size, 0);
  const direction = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1 / Math.sqrt(total), 'float32', seed * 100 + i));
  const lossAt = (shift: number) => {
    const saved = vars.map((v) => tf.clone(v));
    vars.forEach((v, i) => v.assign(tf.tidy(() => tf.add(saved[i], tf.mul(direction[i], shift)))));
    const loss = tf.tidy(() => languageModelLoss(config, params, ids, targets).dataSync()[0]);
    vars.forEach((v, i) => v.assign(saved[i]));
    tf.dispose(saved);
    return loss;
  };
  const { grads } = tf.variableGrads(() => languageModelLoss(config, params, ids, targets), vars);
  const analytic = tf.tidy(() => tf.addN(vars.map((v, i) => tf.sum(tf.mul(grads[v.name], direction[i])))).dataSync()[0]);
  tf.dispose(Object.values(grads));
  const eps = 1e-2; // float32: round-off ~1e-5 at this step, truncation smaller (measured)
  const numeric = (lossAt(eps) - lossAt(-eps)) / (2 * eps);
  tf.dispose(direction);
  return { analytic, numeric };
}

describe('variant gradients match finite differences', () => {
  for (const [label, variant] of VARIANTS) {
    it(label, () => {
      const config = tiny(variant);
      // A larger init than 0.02 so attention is far from uniform and every path carries gradient.
      const params = initParams(config, 5, 0.3);
      for (const seed of [1, 2]) {
        const { analytic, numeric } = directionalCheck(config, params, seed);
        expect(Math.abs(analytic)).toBeGreaterThan(2e-3); // the check is not vacuous
        expect(Math.abs(analytic - numeric)).toBeLessThan(2e-4 + 0.01 * Math.abs(analytic));
      }
      disposeParams(params);
    });
  }
});

describe('variant forward passes', () => {
  it('attention rows: softmax sums to 1, sigmoid does not, key bias takes the rest; sink token adds row 0', () => {
    const rowSums = (variant: Partial<ModelConfig>) => {
      const config = tiny(variant);
      const params = initParams(config, 5, 0.3);
      const result = tf.tidy(() => {
        const out = forward(config, params, ids, { attentions: true, hiddenStates: true });
        const probs = tf.sum(out.attentions[0], -1).dataSync();
        const slot = out.slotAttentions.length ? out.slotAttentions[0].dataSync() : undefined;
        return { probs: [...probs], slot: slot ? [...slot] : undefined, rows: out.hiddenStates[0].shape[1], logitRows: out.logits.shape[1] };
      });
      disposeParams(params);
      return result;
    };
    for (const s of rowSums({}).probs) expect(s).toBeCloseTo(1, 5);
    expect(rowSums({ attention: 'sigmoid' }).probs.some((s) => Math.abs(s - 1) > 0.1)).toBe(true);
    const bias = rowSums({ kvBias: 'kv' });
    bias.probs.forEach((s, i) => expect(s + bias.slot![i]).toBeCloseTo(1, 5));
    expect(Math.min(...bias.slot!)).toBeGreaterThan(0);
    const sink = rowSums({ sinkToken: true });
    expect(sink.rows).toBe(T + 1);
    expect(sink.logitRows).toBe(T);
  });

  it('saves a variant as model_type "sinkscope" and reloads it with identical logits', () => {
    const config = tiny({ positionEncoding: 'rope', norm: 'rmsnorm', kvBias: 'kv', attention: 'sigmoid_norm', gatedMlp: true, tieEmbeddings: false, attentionFreeLayers: [1] });
    const params = initParams(config, 5, 0.3);
    const dir = join(tmp, 'variant');
    saveModelFolder(dir, config, params);
    const json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(json).toMatchObject({ model_type: 'sinkscope', position_encoding: 'rope', norm_type: 'rmsnorm', kv_bias: 'kv', attention_op: 'sigmoid_norm', learnable_sink_token: false, gated_mlp: true, tie_word_embeddings: false, attention_free_layers: [1] });
    const loaded = loadModelFolder(dir);
    expect(loaded.config).toEqual(config);
    const logits = (p: ModelParams) => {
      const t = tf.tidy(() => forward(config, p, ids).logits);
      const data = t.dataSync();
      t.dispose();
      return data;
    };
    expect(logits(loaded.params)).toEqual(logits(params));
    disposeParams(params);
    disposeParams(loaded.params);
  });
});
