import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '@sinkscope/model-io';
import { runCli, type CliResult } from './helpers/run-cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = resolve(here, '../../../../shared/fixtures/hf');
const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sinkscope(...args: string[]): Promise<CliResult> {
  return runCli(args, { env: { SINKSCOPE_BACKEND: 'wasm' } });
}

describe('sinkscope CLI (the stable contract)', () => {
  it('inspect prints architecture, parameters, dtype and BOS', async () => {
    const r = await sinkscope('inspect', join(FIXTURES, 'gpt_neox_pythia_bf16'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.modelType).toBe('gpt_neox');
    expect(s.storedDtypes).toEqual({ BF16: 40 }); // 12 tensors per layer x 3 + embed_in, embed_out, final LN weight and bias
    expect(s.positional).toBe('rotary (4/16 dims, base 10000)');
    expect(s.residual).toBe('parallel');
    expect(s.bosTokenId).toBe(0);
    // 3 x (qkv 64*192+192, dense 64*64+64, mlp 64*256+256+256*64+64, 2 LN 256) + embed_in + embed_out + final LN
    expect(s.parameters).toBe(3 * (12480 + 4160 + 33088 + 256) + 2 * 512 * 64 + 128);
  });

  it('extract writes every captured hook as float32 plus input_ids, matching transformers', async () => {
    const expected = readSafetensors(join(FIXTURES, 'qwen2', 'expected.safetensors'));
    const ids = expected.tensors.get('input_ids')!;
    const seqs = [0, 1, 2].map((b) => Array.from(ids.data.subarray(b * 17, (b + 1) * 17)));
    const idsFile = join(tmp, 'ids.json');
    writeFileSync(idsFile, JSON.stringify(seqs));
    const out = join(tmp, 'qwen2.safetensors');
    const r = await sinkscope('extract', '--model', join(FIXTURES, 'qwen2'), '--token-ids', idsFile, '--hooks', 'blocks.*.attn.hook_pattern,logits', '--out', out, '--batch-size', '2', '--engine', 'onnx');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/blocks\.0\.attn\.hook_pattern\s+\[3, 4, 17, 17\]/);
    expect(r.stdout).toMatch(/logits\s+\[3, 17, 512\]/);
    const got = readSafetensors(out);
    expect([...got.tensors.keys()].sort()).toEqual(['blocks.0.attn.hook_pattern', 'blocks.1.attn.hook_pattern', 'blocks.2.attn.hook_pattern', 'input_ids', 'logits']);
    expect(Array.from(got.tensors.get('input_ids')!.data)).toEqual(Array.from(ids.data));
    const logits = got.tensors.get('logits')!.data;
    const want = expected.tensors.get('logits')!.data;
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(logits[i] - want[i]));
    expect(maxDiff).toBeLessThan(1e-4);
    expect(got.metadata.first_token_is_bos).toBe('false'); // qwen2 defines no BOS
    expect(got.metadata.engine).toBe('onnx');
  });

  it('extract pads ragged input across batches on either engine (same numbers)', async () => {
    const idsFile = join(tmp, 'ragged.json');
    writeFileSync(idsFile, JSON.stringify([[1, 5, 9, 2, 7], [1, 3], [1, 8, 8]]));
    const outs = [];
    for (const engine of ['tfjs', 'onnx']) {
      const out = join(tmp, `ragged-${engine}.safetensors`);
      const r = await sinkscope('extract', '--model', join(FIXTURES, 'llama'), '--token-ids', idsFile, '--hooks', 'blocks.1.attn.hook_pattern,blocks.2.hook_resid_post', '--out', out, '--batch-size', '2', '--engine', engine);
      expect(r.code, r.stderr).toBe(0);
      outs.push(readSafetensors(out));
    }
    expect(Array.from(outs[0].tensors.get('lengths')!.data)).toEqual([5, 2, 3]);
    for (const name of ['blocks.1.attn.hook_pattern', 'blocks.2.hook_resid_post']) {
      const a = outs[0].tensors.get(name)!;
      const b = outs[1].tensors.get(name)!;
      expect(a.shape).toEqual(name.includes('pattern') ? [3, 4, 5, 5] : [3, 5, 64]);
      let maxDiff = 0;
      for (let i = 0; i < a.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.data[i] - b.data[i]));
      expect(maxDiff, name).toBeLessThan(1e-5);
    }
    // sequence 1 has 2 real tokens: its row of the first query in the 5x5 map sums to 1 over keys 0..1
    const p = outs[1].tensors.get('blocks.1.attn.hook_pattern')!.data;
    expect(p[(1 * 4 + 0) * 25 + 1 * 5 + 0] + p[(1 * 4 + 0) * 25 + 1 * 5 + 1]).toBeCloseTo(1, 6);
  });

  it('bad arguments exit non-zero with a one-line reason', async () => {
    const unknownHook = await sinkscope('extract', '--model', join(FIXTURES, 'gpt2'), '--token-ids', '/nonexistent.json', '--hooks', 'blocks.9.hook_resid_post', '--out', join(tmp, 'x.safetensors'));
    expect(unknownHook.code).toBe(2);
    expect(unknownHook.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknownHook.stderr).toMatch(/unknown hook 'blocks\.9\.hook_resid_post'/);

    const missingIds = await sinkscope('extract', '--model', join(FIXTURES, 'gpt2'), '--token-ids', '/nonexistent.json', '--hooks', 'logits', '--out', join(tmp, 'x.safetensors'));
    expect(missingIds.code).toBe(2);
    expect(missingIds.stderr).toMatch(/--token-ids: file not found: \/nonexistent\.json/);

    const badIds = join(tmp, 'bad.json');
    writeFileSync(badIds, JSON.stringify([[511, 600]]));
    const outOfVocab = await sinkscope('extract', '--model', join(FIXTURES, 'gpt2'), '--token-ids', badIds, '--hooks', 'logits', '--out', join(tmp, 'x.safetensors'));
    expect(outOfVocab.stderr).toMatch(/sequence 0, position 1: 600 is not a token id in \[0, 512\)/);

    expect((await sinkscope('frobnicate')).code).toBe(2);
    expect((await sinkscope('inspect', '/no/such/dir')).stderr).toMatch(/checkpoint folder not found: \/no\/such\/dir/);
  });
});

describe('sinkscope measure', () => {
  it.each(['gpt_neox_pythia', 'opt', 'qwen2'])('matches the fixture metrics computed from transformers outputs: %s', async (fixture) => {
    const expected = readSafetensors(join(FIXTURES, fixture, 'expected.safetensors'));
    const metrics = JSON.parse(readFileSync(join(FIXTURES, fixture, 'expected_metrics.json'), 'utf8'));
    const ids = expected.tensors.get('input_ids')!;
    const idsFile = join(tmp, `${fixture}-ids.json`);
    writeFileSync(idsFile, JSON.stringify([0, 1, 2].map((b) => Array.from(ids.data.subarray(b * 17, (b + 1) * 17)))));
    const out = join(tmp, `${fixture}-measure.json`);
    const r = await sinkscope('measure', '--model', join(FIXTURES, fixture), '--token-ids', idsFile, '--engine', 'tfjs', '--json', out);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(readFileSync(out, 'utf8'));
    expect(got.eps).toBe(0.3);
    expect(got.bosPolicy).toBe('auto');
    // indicators: no alpha lies within 6e-3 of eps, so the rates are exact
    expect(got.sinkRate).toBe(metrics.sink_rate);
    expect(got.sinkRateOfMeanAlpha).toBe(metrics.sink_rate_of_mean_alpha);
    expect(got.layers.map((l: { sinkRate: number }) => l.sinkRate)).toEqual(metrics.sink_rate_per_layer);
    got.heads.forEach((row: number[], l: number) => row.forEach((a, h) => expect(a).toBeCloseTo(metrics.alpha[l][h], 5)));
    got.hiddenStates.forEach((s: Record<string, number>, i: number) => {
      expect(s.normRatio).toBeCloseTo(metrics.hidden_norms.ratio[i], 4);
      expect(Math.abs(s.entropy - metrics.matrix_entropy.shannon[i])).toBeLessThan(1e-4);
      expect(Math.abs(s.renyi2 - metrics.matrix_entropy.renyi2[i])).toBeLessThan(1e-4);
      expect(s.entropy).toBeLessThanOrEqual(s.entropyBound + 1e-9);
      // Theorem 1 (issue 16): the measured anisotropy is above its bound; every listed field is there
      expect(s.p1).toBeGreaterThanOrEqual(s.p1Lower - 1e-9);
      expect(s.dominance).toBeGreaterThanOrEqual(s.dominanceLower - 1e-9);
      for (const f of ['bosSqNorm', 'restSqNorm', 'alignment', 'entropyUpper', 'meanCosine', 'logitLensLoss']) expect(f in s, f).toBe(true);
    });
    // the LogitLens of the last hidden state is the model's own next-token loss on the real logits
    const logits = expected.tensors.get('logits')!.data as Float32Array;
    const V = logits.length / (3 * 17);
    let nll = 0;
    for (let b = 0; b < 3; b++)
      for (let t = 0; t < 16; t++) {
        const row = logits.subarray((b * 17 + t) * V, (b * 17 + t + 1) * V);
        const max = Math.max(...row);
        nll += max + Math.log(row.reduce((z, v) => z + Math.exp(v - max), 0)) - row[Number(ids.data[b * 17 + t + 1])];
      }
    expect(got.hiddenStates.at(-1).logitLensLoss).toBeCloseTo(nll / 48, 4);
    got.layers.forEach((l: Record<string, number>) => {
      expect(l.mixingScore).toBeGreaterThan(0);
      expect(l.mixingScore).toBeLessThanOrEqual(1);
      for (const f of ['identityScore', 'prevTokenScore', 'bosScore']) expect(l[f]).toBeGreaterThanOrEqual(0);
    });
  });
});

describe('sinkscope run and export', () => {
  it('runs a pipeline spec end to end, then exports its layers table as Parquet that reads back', async () => {
    const env = { SINKSCOPE_CACHE: join(tmp, 'cache'), SINKSCOPE_RUNS: join(tmp, 'runs'), SINKSCOPE_REPORTS: join(tmp, 'reports') };
    const spec = join(tmp, 'pipeline.yaml');
    writeFileSync(spec, `name: cli-run\nmodels:\n  - name: phi\n    path: ${FIXTURES}/phi\ndataset:\n  spec: datasets/random-tokens-64.json\n  count: 3\nseqLen: 12\nbosPolicy: always\nengine: tfjs\n`);
    const run = await runCli(['run', spec], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\| hidden state \| layer \| Sink_1 %/);
    expect(run.stdout).toMatch(/report: .*cli-run/);
    const out = join(tmp, 'layers.parquet');
    const exp = await runCli(['export', 'layers', '--pipeline', 'cli-run', '--format', 'parquet', '--out', out], { env });
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stdout).toMatch(/wrote .*layers\.parquet \(4 rows/);
    const { readParquet } = await import('parquet-wasm');
    const { tableFromIPC } = await import('apache-arrow');
    const table = tableFromIPC(readParquet(readFileSync(out)).intoIPCStream());
    expect(table.numRows).toBe(4);
    expect(table.getChild('hidden_index')!.toArray()).toEqual(Int32Array.from([0, 1, 2, 3]));
    expect(table.schema.fields.map((f) => f.name)).toContain('entropy_bound');
    const bad = await runCli(['export', 'layers', '--format', 'csv', '--out', out], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format csv is not supported/);
  });
});
