import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildEvalSet, loadDatasetSpec } from '@sinkscope/datasets';
import { createTrainingData } from '../src/data/training-data.js';
import { heldOutRows } from '../src/training/batch-rows.js';
import { normaliseTrainConfig, type TrainConfigInput } from '../src/training/config.js';
import { modelCard } from '../src/training/model-card.js';
import { runInfoOf } from '../src/training/run-info.js';
import type { EvalRecord } from '../src/eval/evaluate.js';
// the datasets package's writer of the shipped task sets (a tool, not an export)
import { DEFAULT_MODEL_TASK } from '../../datasets/tools/write-backcopy-tasks.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const r1Recipe = JSON.parse(readFileSync(`${REPO}pipelines/train-default/issue-22/r1.json`, 'utf8')) as TrainConfigInput;

describe('the model card of a sinkscope variant', () => {
  const config = normaliseTrainConfig(r1Recipe, 'pipelines/train-default/issue-22/r1.json');
  const evalRecord: EvalRecord = {
    step: config.steps,
    loss: 1.25,
    sinkRate: 0.5,
    perLayerSinkRate: [null, 0, 1],
    meanAlpha: [[], [0.125], [0.875]],
    normRatio: [1.5, 12.25, 10.5, 0.25],
    entropyNormalized: [0.75, 0.25, 0.375, 0.625],
    copyAccuracy: 0.5,
  };
  const card = modelCard({ config, evals: [evalRecord], trainSeconds: 90, tokensPerSecond: 1000, finalTrainLoss: 1.5, info: runInfoOf(config), appendix: '## Appendix\n\nsearch table\n' });

  it('names the variant, the constant schedule, the first-token policy and the block without attention', () => {
    expect(card).toContain('# Back-copy sinkscope variant (3 x 128), trained with @sinkscope/train');
    expect(card).toContain('block 0 without attention (MLP only), RMSNorm, SwiGLU MLPs, no linear biases, untied lm_head.');
    expect(card).not.toContain('tied lm_head,');
    expect(card).toContain('| schedule | peak lr 0.01, warm-up 100, then constant |');
    expect(card).toContain('| optimizer | AdamW betas (0.9, 0.95), eps 1e-15, weight decay 0.1 on matrices, clip 1 |');
    expect(card).toContain('offsets [1, 2], 3 triggers per group, trigger prob 0.15, a uniformly random ordinary first token instead of BOS |');
    expect(card).toContain('| 0 | - | no attention |');
    expect(card).toContain('| 2 | 100.0 % | 0.875 |');
    expect(card).toContain('| 1 (after block 0) | 12.250 | 0.250 |');
  });

  it('keeps the run provenance from run-info.json (engine, versions, eps) before the appendix', () => {
    expect(card).toContain(`| first token (BOS policy) | ${config.data.firstToken} |`);
    expect(card).toMatch(/\| engine \| (ONNX Runtime|TensorFlow\.js) /);
    expect(card).toContain('indicator alpha_1 > 0.3 per sequence');
    expect(card).toContain('the provenance in `run-info.json`');
  });

  it('states the fixed ORT thread count and puts it in the retrain command (one thread: bit-identical reruns)', () => {
    expect(card).toContain('--out <folder>`.'); // no --threads recorded, none in the command
    expect(card).not.toContain('thread');
    const oneThread = modelCard({ config, evals: [evalRecord], trainSeconds: 90, tokensPerSecond: 1000, finalTrainLoss: 1.5, info: runInfoOf(config, { threads: 1 }) });
    expect(oneThread).toContain('(onnxruntime-node, cpu, 1 thread: reruns are bit-identical)');
    expect(oneThread).toContain('--out <folder> --threads 1`.');
    const twoThreads = modelCard({ config, evals: [evalRecord], trainSeconds: 90, tokensPerSecond: 1000, finalTrainLoss: 1.5, info: runInfoOf(config, { threads: 2 }) });
    expect(twoThreads).toContain('(onnxruntime-node, cpu, 2 threads: reruns are not bit-identical)');
  });

  it('ends with the appendix', () => {
    expect(card.endsWith('## Appendix\n\nsearch table\n')).toBe(true);
  });
});

describe("the default model's and issue 22's R1 recipes' held-out rows", () => {
  it.each([
    ['pipelines/train-default/train.json', 'datasets/backcopy-64.json'],
    ['pipelines/train-default/issue-22/r1.json', 'pipelines/train-default/issue-22/backcopy-r1-64.json'],
    ['pipelines/train-default/issue-22/r1-task1.json', 'pipelines/train-default/issue-22/backcopy-r1-task1-64.json'],
  ])('of %s are %s as the pipelines build it (random first token included)', async (file, datasetSpec) => {
    const config = normaliseTrainConfig(JSON.parse(readFileSync(`${REPO}${file}`, 'utf8')) as TrainConfigInput, file);
    const rows = heldOutRows(config, createTrainingData(config.data));
    const set = await buildEvalSet(await loadDatasetSpec(`${REPO}${datasetSpec}`), null);
    expect(set.count).toBe(rows.count);
    expect(set.firstIsBos).toBe(false);
    const T = set.seqLen;
    expect(T).toBe(rows.length - 1);
    for (let s = 0; s < rows.count; s++) expect(set.sequences[s]).toEqual(Array.from(rows.ids.subarray(s * rows.length, s * rows.length + T)));
    expect(new Set(set.sequences.map((row) => row[0])).size).toBeGreaterThan(40);
  });

  it("the shipped back-copy task sets come from the default model's task world", () => {
    const file = 'pipelines/train-default/train.json';
    const config = normaliseTrainConfig(JSON.parse(readFileSync(`${REPO}${file}`, 'utf8')) as TrainConfigInput, file);
    if (config.data.task !== 'backcopy') throw new Error('the default model is a back-copy model');
    expect(DEFAULT_MODEL_TASK).toEqual({ taskSeed: config.data.taskSeed, offsets: config.data.offsets, firstToken: config.data.firstToken });
  });
});
