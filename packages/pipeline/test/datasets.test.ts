// Several datasets in one pipeline (`datasets: [...]`, Gu et al. 2025 Table 1): every step runs on
// each, shards are numbered across a model's datasets, and the report puts them side by side.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactStore } from '@sinkscope/artifacts';
import { afterAll, describe, expect, it } from 'vitest';
import { openContext, parseSpec, runPipeline, runStep } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = resolve(here, '../../../../shared/fixtures/hf');
const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-datasets-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SPEC = `name: two-datasets
models:
  - { name: gpt2, path: ${FIXTURES}/gpt2 }
  - { name: llama, path: ${FIXTURES}/llama }
datasets:
  - { spec: datasets/random-tokens-64.json, name: random, count: 4 }
  - { spec: datasets/repeated-token-64.json, name: repeated, count: 4 }
seqLen: 16
bosPolicy: always
engine: tfjs
shardSize: 2
figures: [profile, datasets, sink-k]
`;

function writeSpec(text: string): string {
  const file = join(tmp, `pipeline-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

const options = (name: string) => ({ store: new ArtifactStore({ root: join(tmp, name, 'cache'), warn: () => {} }), reportsRoot: join(tmp, name, 'reports'), runsRoot: join(tmp, name, 'runs'), log: () => {}, print: () => {} });

describe('datasets: [...]', () => {
  it('runs every step on each dataset, numbers shards across them, and reports Sink_1 side by side', async () => {
    const opts = options('run');
    const receipts = await runPipeline(writeSpec(SPEC), 'report', opts);
    const extract = receipts.find((r) => r.step === 'extract')!;
    expect(extract.artifacts.map((a) => [a.model, a.dataset, a.shard])).toEqual([
      ['gpt2', 'random', 0],
      ['gpt2', 'random', 1],
      ['gpt2', 'repeated', 2],
      ['gpt2', 'repeated', 3],
      ['llama', 'random', 0],
      ['llama', 'random', 1],
      ['llama', 'repeated', 2],
      ['llama', 'repeated', 3],
    ]);
    // one layer_metrics per (model, dataset), each keeping its dataset in its key and metadata
    const metrics = receipts.find((r) => r.step === 'metrics')!.artifacts.filter((a) => a.kind === 'layer_metrics');
    expect(metrics.map((a) => [a.model, a.dataset])).toEqual([
      ['gpt2', 'random'],
      ['gpt2', 'repeated'],
      ['llama', 'random'],
      ['llama', 'repeated'],
    ]);
    expect(new Set(metrics.map((a) => a.key)).size).toBe(4);
    const sinkRate = async (i: number) => {
      const t = (await opts.store.read('layer_metrics', metrics[i].key))!;
      expect(t.schema.metadata.get('sinkscope.dataset')).toBe(['random-tokens-64', 'repeated-token-64'][i % 2]);
      return (100 * Number(t.schema.metadata.get('sinkscope.sink_rate_model'))).toFixed(2);
    };
    // the lens step: one LogitLens per (model, dataset), on that dataset's hidden states, joined into its layers table
    const lens = receipts.find((r) => r.step === 'lens')!.artifacts.filter((a) => a.kind === 'logit_lens');
    expect(lens.map((a) => [a.model, a.dataset])).toEqual(metrics.map((a) => [a.model, a.dataset]));
    expect(new Set(lens.map((a) => a.key)).size).toBe(4);
    const layers = receipts.find((r) => r.step === 'report')!.artifacts.filter((a) => a.kind === 'layers');
    for (const [i, a] of lens.entries()) {
      const lensLoss = (await opts.store.read('logit_lens', a.key))!.toArray().map((r) => Number(r.loss));
      const joined = layers.find((l) => l.model === a.model && l.dataset === a.dataset)!;
      expect((await opts.store.read('layers', joined.key))!.toArray().map((r) => Number(r.logit_lens_loss)), `${a.model} ${a.dataset}`).toEqual(lensLoss);
      if (i % 2 === 1) expect(lensLoss).not.toEqual((await opts.store.read('logit_lens', lens[i - 1].key))!.toArray().map((r) => Number(r.loss)));
    }
    const summary = readFileSync(join(tmp, 'run', 'reports', 'two-datasets', 'summary.md'), 'utf8');
    expect(summary).toContain('| model | Sink_1 % on random | Sink_1 % on repeated |');
    expect(summary).toContain(`| gpt2 | ${await sinkRate(0)} | ${await sinkRate(1)} |`);
    expect(summary).toContain(`| llama | ${await sinkRate(2)} | ${await sinkRate(3)} |`);
    expect(summary).toContain('## gpt2 · repeated');
    const html = readFileSync(join(tmp, 'run', 'reports', 'two-datasets', 'index.html'), 'utf8');
    expect(html).toContain('id="figure-datasets"');
    expect(html).toContain('<td>Gu et al. 2025, Table 1</td>');
    const spec = JSON.parse(readFileSync(join(tmp, 'run', 'reports', 'two-datasets', 'figures', 'datasets.vl.json'), 'utf8'));
    expect(spec.datasets.dataset_sinks.map((r: { model: string; dataset: string }) => `${r.model}/${r.dataset}`)).toEqual(['gpt2/random', 'gpt2/repeated', 'llama/random', 'llama/repeated']);
  });

  it('a shard index names one shard of one dataset (what a Slurm array task computes)', async () => {
    const opts = options('shard');
    const receipt = await runStep(openContext(writeSpec(SPEC), { ...opts, model: 'gpt2', shards: [3] }), 'extract');
    expect(receipt.artifacts.map((a) => [a.model, a.dataset, a.shard, a.cacheHit])).toEqual([['gpt2', 'repeated', 3, false]]);
    await expect(runStep(openContext(writeSpec(SPEC), { ...opts, model: 'gpt2', shards: [4] }), 'extract')).rejects.toThrow("extract gpt2: no shard 4 (the model's datasets have 4 shards)");
  });

  it('one of dataset or datasets, and labels that tell the datasets apart', async () => {
    expect(() => parseSpec('p.yaml', SPEC.replace('datasets:', 'dataset: { spec: datasets/random-tokens-64.json }\ndatasets:'))).toThrow(/p\.yaml: field 'dataset': give either 'dataset' or 'datasets'/);
    expect(() => parseSpec('p.yaml', SPEC.replace(/datasets:\n.*\n.*\n/, ''))).toThrow(/give either 'dataset' or 'datasets'/);
    const twice = writeSpec(SPEC.replace('name: repeated, count: 4', 'count: 4').replace('repeated-token-64.json', 'random-tokens-64.json').replace('name: random, ', ''));
    await expect(runPipeline(twice, 'extract', options('twice'))).rejects.toThrow(/field 'datasets\[1\]': the label 'random-tokens-64' is already that of datasets\[0\]; give one of them a 'name'/);
  });
});
