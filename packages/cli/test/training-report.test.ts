import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ArtifactStore } from '@sinkscope/artifacts';
import { DEFAULT_MODEL_DIR } from '@sinkscope/pipeline';
import { EVAL_SINK_EPS, normaliseTrainConfig, runTraining } from '@sinkscope/train';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProvenance, trainingReport, trainingRows } from '../src/commands/training-report.js';

describe('training-report rows', () => {
  it('one model-level row and one row per attention layer, norm ratio of the hidden state the layer writes', () => {
    const rows = trainingRows('run-a', [{ step: 100, loss: 2.5, sinkRate: 0.25, perLayerSinkRate: [0.5, 0], normRatio: [1.8, 0.3, 0.9], entropyNormalized: [0.7, 0.6, 0.65] }]);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ run: 'run-a', step: 100, layer: -1, sink_rate: 0.25, norm_ratio: 1.8, entropy_normalized: 0.6 });
    expect(rows[1]).toMatchObject({ layer: 0, layer_sink_rate: 0.5, norm_ratio: 0.3, entropy_normalized: 0.6 });
    expect(rows[2]).toMatchObject({ layer: 1, layer_sink_rate: 0, norm_ratio: 0.9, entropy_normalized: 0.65 });
  });
});

// Two tiny runs of @sinkscope/train, as a user would make them: natural text on tfjs with BOS first,
// back-copy on ONNX Runtime with a random first token. The model card and training-report must say
// what each run was from the run's own files.
describe('provenance from the run folders', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-training-report-'));
  const text = join(tmp, 'text-run');
  const backcopy = join(tmp, 'backcopy-run');
  const cache = join(tmp, 'cache');
  const previousCache = process.env.SINKSCOPE_CACHE;
  afterAll(() => {
    if (previousCache === undefined) delete process.env.SINKSCOPE_CACHE;
    else process.env.SINKSCOPE_CACHE = previousCache;
    rmSync(tmp, { recursive: true, force: true });
  });
  const tiny = { model: { nEmbd: 16, nLayer: 1, nHead: 2 }, batchSize: 4, steps: 2, evalEvery: 1, checkpointEvery: 2, logEvery: 1 };
  beforeAll(async () => {
    await runTraining(normaliseTrainConfig({ ...tiny, data: { task: 'text', corpus: 'moby-dick', sequenceLength: 13, heldOutSequences: 3, firstToken: 'bos' }, engine: 'tfjs', backend: 'wasm' }), { outDir: text, log: () => {} });
    await runTraining(normaliseTrainConfig({ ...tiny, data: { sequenceLength: 9, heldOutSequences: 5, firstToken: 'random' }, engine: 'onnx' }), { outDir: backcopy, log: () => {} });
  }, 240_000);

  it('the model card says what each run was', () => {
    const textCard = readFileSync(join(text, 'README.md'), 'utf8');
    expect(textCard).toMatch(/^# Byte-level moby-dick GPT-2 \(1 x 16\), trained with @sinkscope\/train/);
    expect(textCard).toContain('byte-level `tokenizer.json` (256 byte ids + `<bos>` = 256)');
    expect(textCard).toContain('| task / data | text: text: moby-dick as UTF-8 bytes');
    expect(textCard).toContain('| first token (BOS policy) | bos |');
    expect(textCard).toContain(`| engine | TensorFlow.js ${tf.version.tfjs}, wasm backend, float32 |`);
    expect(textCard).toContain(`3 held-out sequences (fixed seed), T = 12. Sink_1: alpha_1 = mean over all T query rows of A[t, 0]; indicator alpha_1 > ${EVAL_SINK_EPS}`);
    expect(textCard).not.toContain('back-copy');
    const backcopyCard = readFileSync(join(backcopy, 'README.md'), 'utf8');
    expect(backcopyCard).toMatch(/^# Back-copy GPT-2 \(1 x 16\)/);
    expect(backcopyCard).toContain('WordLevel `tokenizer.json` over `t0`..`t63` + `<bos>`');
    expect(backcopyCard).toContain('| first token (BOS policy) | random |');
    expect(backcopyCard).toContain(`| engine | ONNX Runtime ${ort.env.versions.node ?? ort.env.versions.common} (onnxruntime-node, cpu)`);
    expect(backcopyCard).toContain('5 held-out sequences (fixed seed), T = 8.');
  });

  it('training-report reads dataset, T, eps, BOS policy, engine, backend, versions and task from each run', async () => {
    process.env.SINKSCOPE_CACHE = cache;
    const out = join(tmp, 'report');
    const write = process.stdout.write.bind(process.stdout);
    let printed = '';
    process.stdout.write = ((chunk: string) => ((printed += chunk), true)) as typeof process.stdout.write;
    try {
      expect(await trainingReport([text, backcopy, '--out', out])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    const key = /training artifact ([0-9a-f]{12})/.exec(printed)![1];
    const store = new ArtifactStore({ root: cache, warn: () => {} });
    const entry = (await store.list()).find((e) => e.kind === 'training' && e.key.startsWith(key))!;
    const meta = (await store.read('training', entry.key))!.schema.metadata;
    expect(meta.get('sinkscope.task')).toBe('text, backcopy');
    expect(meta.get('sinkscope.dataset')).toMatch(/^text: moby-dick as UTF-8 bytes .*, back-copy, task seed 0, /);
    expect(meta.get('sinkscope.seq_len')).toBe('12, 8');
    expect(meta.get('sinkscope.eps')).toBe(String(EVAL_SINK_EPS));
    expect(meta.get('sinkscope.bos_policy')).toBe('BOS first, a random first token');
    expect(meta.get('sinkscope.engine')).toBe('tfjs, onnx');
    expect(meta.get('sinkscope.backend')).toBe('wasm, cpu');
    expect(JSON.parse(meta.get('sinkscope.versions')!)).toMatchObject({ 'text-run: @tensorflow/tfjs': tf.version.tfjs, 'backcopy-run: onnxruntime-node': expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<tr><td>bos_policy</td><td>BOS first, a random first token</td></tr>');
    const spec = JSON.parse(readFileSync(join(out, 'figures', 'training.vl.json'), 'utf8'));
    expect(spec.title.subtitle[0]).toBe('text-run, backcopy-run · text moby-dick held-out (3 x 12), backcopy held-out (5 x 8) · T = 8, 12 · ε = 0.3 · BOS: BOS first, a random first token');
  });

  it('a run that predates run-info.json: what train-config.json holds, the rest "not recorded"', () => {
    const old = join(tmp, 'default-model');
    cpSync(DEFAULT_MODEL_DIR, old, { recursive: true, filter: (src) => !src.endsWith('run-info.json') && !src.includes('resume') });
    const p = runProvenance(old);
    expect(p).toEqual({ run: 'default-model', task: 'backcopy', dataset: 'backcopy held-out (100 x 64)', seqLen: 64, bosPolicy: 'a random first token', engine: 'onnx' });
    // the shipped default has its run-info.json: the data, eps, engine and versions it was trained with
    expect(runProvenance(DEFAULT_MODEL_DIR)).toMatchObject({
      data: 'back-copy, task seed 1, offsets [1, 2], 3 triggers per group, trigger prob 0.15, a uniformly random ordinary first token instead of BOS',
      eps: 0.3,
      engine: 'onnx',
      backend: 'cpu',
      versions: { 'onnxruntime-node': expect.stringMatching(/^\d+\.\d+\.\d+$/) },
    });
  });
});
