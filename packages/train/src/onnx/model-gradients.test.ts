import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyTrainConfig } from '../../test/tiny-config.js';
import { useBackend } from '../engine/backend.js';
import { sinkRows } from '@sinkscope/model-io';
import { TRAINER_VARIANTS } from '../../test/variants.js';
import { lossWeights } from '../eval/evaluate.js';
import { cachedArch, languageModelLoss } from '../model/tfjs-forward.js';
import { createParams, disposeParams, initialValues, parameterSpecs } from '../model/params.js';
import type { TrainConfig, TrainConfigInput } from '../training/config.js';
import { createSession } from './session.js';
import { buildTrainingGraph, IDS_INPUT, INPUTS } from './training-graph.js';

beforeAll(() => useBackend('wasm'));

/** Loss and every parameter's gradient on one batch: tfjs's trainer (tf.variableGrads) and the ORT graph. */
async function bothEngines(config: TrainConfig, gatherGradient: 'scatter' | 'onehot') {
  const B = 4;
  const T = config.data.sequenceLength - 1;
  const V = config.model.vocabSize;
  const specs = parameterSpecs(config.model, config.initStd);
  // a larger init than the recipe's, so every path (attention, MLP) carries a visible gradient
  const values = initialValues(specs.map((s) => (s.std > 0 ? { ...s, std: 0.2 } : { ...s, std: 0.1, fill: 0 })), 3);
  for (const s of specs) if (s.std === 0 && s.fill === 1) values.get(s.name)!.forEach((x, i, a) => (a[i] = 1 + x));
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7 + 3) % V);
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i * 5 + 1) % V);

  const params = createParams(specs, values);
  const { value, grads } = tf.variableGrads(() => languageModelLoss(config.model, params, tf.tensor2d(ids, [B, T], 'int32'), tf.tensor2d(targets, [B, T], 'int32'), lossWeights(config.model, T)));
  const tfjs = { loss: value.dataSync()[0], grads: new Map([...params].map(([name, v]) => [name, grads[v.name].dataSync() as Float32Array])) };
  tf.dispose([value, ...Object.values(grads)]);
  disposeParams(params);

  const graph = buildTrainingGraph(config, B, T, { mode: 'gradients', gatherGradient });
  const session = await createSession(graph.g, 'gradients', { threads: 1, staticDims: { batch: B, seq: T, rows: T + sinkRows(cachedArch(config.model)) } });
  const feeds: Record<string, ort.Tensor> = { ...graph.constantFeeds };
  feeds[IDS_INPUT] = new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [B, T]);
  feeds[INPUTS.targets] = new ort.Tensor('int64', BigInt64Array.from(targets, BigInt), [B, T]);
  for (const s of specs) feeds[graph.weightInputs.get(s.name)!] = new ort.Tensor('float32', values.get(s.name)!, [...s.shape]);
  const out = await session.run(feeds);
  await session.release();
  const onnx = { loss: (out[graph.outputs.loss].data as Float32Array)[0], grads: new Map(specs.map((s) => [s.name, out[graph.gradients.get(s.name)!].data as Float32Array])) };
  return { tfjs, onnx, specs };
}

const CASES: { name: string; model: TrainConfigInput['model']; gathers: readonly ('onehot' | 'scatter')[] }[] = [
  { name: 'default layout (LayerNorm, learned positions, exact GELU)', model: {}, gathers: ['onehot', 'scatter'] },
  { name: 'RMSNorm + RoPE + gelu_new', model: { norm: 'rmsnorm', positionEncoding: 'rope', activation: 'gelu_new' }, gathers: ['onehot', 'scatter'] },
  { name: 'sinusoidal positions + ReLU', model: { positionEncoding: 'sinusoidal', activation: 'relu' }, gathers: ['scatter'] },
  // every variant the trainer offers
  ...TRAINER_VARIANTS.slice(1).map(([name, model]) => ({ name, model, gathers: ['scatter'] as const })),
];

describe.each(CASES)('whole-model gradients on ORT = the tfjs trainer’s ($name)', ({ model, gathers }) => {
  it.each(gathers)('embedding gradient by %s', async (gatherGradient) => {
    const config = tinyTrainConfig({ model: { nEmbd: 32, nLayer: 2, nHead: 2, ...model } as TrainConfigInput['model'] });
    const { tfjs, onnx, specs } = await bothEngines(config, gatherGradient);
    expect(Math.abs(onnx.loss - tfjs.loss) / tfjs.loss).toBeLessThan(1e-6);
    let worst = 0;
    for (const s of specs) {
      const a = tfjs.grads.get(s.name)!;
      const b = onnx.grads.get(s.name)!;
      const largest = (x: Float32Array) => Math.max(...Array.from(x, Math.abs));
      const m = config.model;
      const idleSlotKey = s.name.endsWith('attn.sink_k') && m.kvBias === 'k' && m.attention === 'sigmoid'; // k* with v* = 0 and no normalisation: no effect
      if (idleSlotKey || (s.name.endsWith('c_attn.k.bias') && m.positionEncoding !== 'rope' && m.attention === 'softmax' && m.kvBias === 'none')) {
        // softmax ignores a constant added to all of a query's scores: this gradient is 0 up to rounding
        // on both engines (RoPE rotates the bias by position and makes it real; a slot's score does not move with it)
        expect(Math.max(largest(a), largest(b)), s.name).toBeLessThan(1e-7);
        continue;
      }
      const scale = largest(a);
      expect(scale, s.name).toBeGreaterThan(1e-4); // a real gradient
      let diff = 0;
      for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
      worst = Math.max(worst, diff / scale);
    }
    if (process.env.PRINT_GRAD_ERRORS) console.log(`worst scaled gradient difference: ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(5e-6); // measured <= 1.6e-6
  });
});
