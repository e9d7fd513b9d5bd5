import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyTrainConfig } from '../../test/tiny-config.js';
import { useBackend } from '../engine/backend.js';
import { loadModelFolder } from '../model/checkpoint.js';
import { forward } from '../model/tfjs-forward.js';
import { disposeParams, type ModelParams } from '../model/params.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint-state.js';
import { runTraining } from './run.js';
import { Trainer } from './trainer.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => useBackend('wasm'));

function logitsOf(trainer: { config: { model: Trainer['config']['model'] } }, params: ModelParams, ids: Int32Array, T: number): Float32Array {
  const logits = tf.tidy(() => forward(trainer.config.model, params, tf.tensor2d(ids, [ids.length / T, T], 'int32')).logits);
  const data = logits.dataSync() as Float32Array;
  logits.dispose();
  return data;
}

describe('Trainer', () => {
  it('lowers the loss over 30 steps and leaks no tensors', () => {
    const atStart = tf.memory().numTensors;
    const trainer = new Trainer(tinyTrainConfig({ schedule: { peakLr: 1e-2, warmupSteps: 5 } }));
    const losses = [trainer.trainStep().loss];
    // Parameters + two AdamW moments, and the one cached causal mask for this T.
    const before = tf.memory().numTensors;
    expect(before - atStart).toBeLessThanOrEqual(3 * trainer.params.size + 1);
    for (let i = 1; i < 30; i++) losses.push(trainer.trainStep().loss);
    expect(tf.memory().numTensors).toBe(before);
    trainer.evaluate();
    expect(tf.memory().numTensors).toBe(before);
    // Start near ln(65) = 4.17 (uniform); 30 steps of bigram learning take it well below.
    expect(losses[0]).toBeGreaterThan(4.0);
    expect(losses[0]).toBeLessThan(4.35);
    const lastFive = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    expect(lastFive).toBeLessThan(losses[0] - 0.5); // measured: 4.17 -> 3.45
    trainer.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(atStart + 1);
  });

  it('is deterministic: same seed, same losses bit for bit; another seed differs', () => {
    const run = (seed: number) => {
      const trainer = new Trainer(tinyTrainConfig({ seed }));
      const losses = Array.from({ length: 4 }, () => trainer.trainStep().loss);
      trainer.dispose();
      return losses;
    };
    const a = run(3);
    expect(run(3)).toEqual(a);
    expect(run(4)).not.toEqual(a);
  });

  it('saves a Hugging Face gpt2 folder that reloads with identical logits and resumes the same run', () => {
    const dir = join(tmp, 'ckpt');
    const config = tinyTrainConfig();
    const reference = new Trainer(config);
    for (let i = 0; i < 6; i++) reference.trainStep();
    const resumedFrom = new Trainer(config);
    for (let i = 0; i < 3; i++) resumedFrom.trainStep();
    saveCheckpoint(dir, resumedFrom, 1.5);
    const T = config.data.sequenceLength - 1;
    const ids = Int32Array.from({ length: 2 * T }, (_, i) => (i * 7) % 65);
    const { config: loadedConfig, params } = loadModelFolder(dir);
    expect(loadedConfig).toEqual(config.model);
    expect(logitsOf(resumedFrom, params, ids, T)).toEqual(logitsOf(resumedFrom, resumedFrom.params, ids, T));
    disposeParams(params);

    const { trainer: resumed, state } = loadCheckpoint(dir);
    expect(state.step).toBe(3);
    expect(state.trainSeconds).toBe(1.5);
    const continued = [resumed.trainStep().loss, resumed.trainStep().loss, resumed.trainStep().loss];
    const uninterrupted = new Trainer(config);
    const all = Array.from({ length: 6 }, () => uninterrupted.trainStep().loss);
    expect(continued).toEqual(all.slice(3));
    expect(logitsOf(resumed, resumed.params, ids, T)).toEqual(logitsOf(reference, reference.params, ids, T));
    for (const t of [reference, resumedFrom, resumed, uninterrupted]) t.dispose();

    const hfConfig = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(hfConfig).toMatchObject({ model_type: 'gpt2', vocab_size: 65, n_embd: 32, n_layer: 2, n_head: 2, activation_function: 'gelu', tie_word_embeddings: true, bos_token_id: 64 });
  });

  it('writes a tokenizer.json that @huggingface/tokenizers loads', () => {
    const dir = join(tmp, 'ckpt');
    const tokenizer = new Tokenizer(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')));
    expect(tokenizer.encode('<bos> t0 t12 t63', { add_special_tokens: false }).ids).toEqual([64, 0, 12, 63]);
    expect(tokenizer.decode([64, 5, 6], { skip_special_tokens: true })).toBe('t5 t6');
  });

  it('runTraining writes eval.jsonl, a model card, and resumes to the same end state', async () => {
    const dir = join(tmp, 'run');
    const lines: string[] = [];
    const config = tinyTrainConfig({ steps: 20 });
    await runTraining({ ...config, steps: 10 }, { outDir: dir, log: (l) => lines.push(l) });
    const resumed = await runTraining(config, { outDir: dir, resume: true, log: (l) => lines.push(l) });
    expect(lines.some((l) => /^step\s+10\/10 {2}loss \d\.\d{4} {2}lr .* tok\/s {2}ETA/.test(l))).toBe(true);
    const evals = readFileSync(join(dir, 'eval.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(evals.map((e) => e.step)).toEqual([10, 20]);
    expect(Object.keys(evals[1])).toEqual(expect.arrayContaining(['step', 'loss', 'sinkRate', 'perLayerSinkRate', 'normRatio', 'entropyNormalized']));
    expect(evals[1].perLayerSinkRate).toHaveLength(2);
    expect(evals[1].normRatio).toHaveLength(3);
    const straight = await runTraining(config, { outDir: join(tmp, 'straight'), log: () => {} });
    expect(resumed.evals.at(-1)!.loss).toBe(straight.evals.at(-1)!.loss);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('model Sink_1');
  });
});
