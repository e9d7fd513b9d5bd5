// How --model names a model (issue 21: org/name[@revision] in the Hugging Face cache) and what measure
// reads when given no input (issue 20: the model's own evaluation set).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '@sinkscope/model-io';
import { writeFakeHubCache } from '@sinkscope/model-io/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './helpers/run-cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(here, '../../..');
const FIXTURES = resolve(REPO, '../shared/fixtures/hf');
const DEFAULT_MODEL = join(REPO, 'packages/train/default-model');
const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-cli-names-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cache = join(tmp, 'hub');
const { commits } = writeFakeHubCache(cache, 'tiny/pythia', [
  { source: join(FIXTURES, 'gpt_neox_pythia'), refs: ['step1000'] },
  { source: join(FIXTURES, 'gpt_neox_sequential'), refs: ['main'] },
]);

function sinkscope(...args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: tmp, env: { SINKSCOPE_BACKEND: 'wasm', HF_HUB_CACHE: cache } });
}

describe('--model org/name[@revision]', () => {
  it('inspect shows the repo, the revision and the commit of a cached model', async () => {
    const r = await sinkscope('inspect', 'tiny/pythia@step1000', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect({ repo: s.repo, revision: s.revision, commit: s.commit }).toEqual({ repo: 'tiny/pythia', revision: 'step1000', commit: commits[0] });
    expect(s.checkpoint).toBe(join(cache, 'models--tiny--pythia', 'snapshots', commits[0]));
    expect(s.residual).toBe('parallel');
    const main = await sinkscope('inspect', 'tiny/pythia');
    expect(main.stdout).toMatch(new RegExp(`^revision +main$`, 'm'));
    expect(main.stdout).toMatch(new RegExp(`^commit +${commits[1]}$`, 'm'));
    expect(main.stdout).toMatch(/^residual +sequential$/m);
  });

  it("measure reads the snapshot's weights: the fixture's transformers metrics", async () => {
    const expected = readSafetensors(join(FIXTURES, 'gpt_neox_pythia', 'expected.safetensors'));
    const metrics = JSON.parse(readFileSync(join(FIXTURES, 'gpt_neox_pythia', 'expected_metrics.json'), 'utf8'));
    const ids = expected.tensors.get('input_ids')!;
    const idsFile = join(tmp, 'ids.json');
    writeFileSync(idsFile, JSON.stringify([0, 1, 2].map((b) => Array.from(ids.data.subarray(b * 17, (b + 1) * 17)))));
    const out = join(tmp, 'hub-measure.json');
    const r = await sinkscope('measure', '--model', 'tiny/pythia@step1000', '--token-ids', idsFile, '--engine', 'tfjs', '--json', out);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(readFileSync(out, 'utf8'));
    expect(got.sinkRate).toBe(metrics.sink_rate);
    expect(got.layers.map((l: { sinkRate: number }) => l.sinkRate)).toEqual(metrics.sink_rate_per_layer);
    got.hiddenStates.forEach((s: { normRatio: number }, i: number) => expect(s.normRatio).toBeCloseTo(metrics.hidden_norms.ratio[i], 4));
    expect({ repo: got.repo, revision: got.revision, commit: got.commit }).toEqual({ repo: 'tiny/pythia', revision: 'step1000', commit: commits[0] });
  });

  it('a revision not in the cache is one line: the cache, the revisions there, the download command', async () => {
    const r = await sinkscope('inspect', 'tiny/pythia@step2000');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toBe(
      `sinkscope inspect: tiny/pythia@step2000 is not in the Hugging Face cache ${cache} (models--tiny--pythia holds: main (${commits[1].slice(0, 12)}), step1000 (${commits[0].slice(0, 12)})); ` +
        'nothing is downloaded, fetch it with: hf download tiny/pythia --revision step2000 (or: huggingface-cli download tiny/pythia --revision step2000)',
    );
  });
});

describe('measure with no --text or --token-ids', () => {
  it("--model default measures its held-out set as npm start does: the trainer's own step-1500 evaluation", async () => {
    const out = join(tmp, 'default.json');
    const r = await sinkscope('measure', '--model', 'default', '--json', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^dataset backcopy-64 \(the default model's held-out set, as npm start \(sink-valley\) measures it; --text or --token-ids to choose\)$/m);
    expect(r.stdout).toMatch(/^Sink_1 \(eps 0\.3\) 46\.50 % over 100 sequence\(s\) \(dataset backcopy-64\); wrote /);
    const got = JSON.parse(readFileSync(out, 'utf8'));
    // the trainer evaluated the same 100 held-out sequences at its last step, on ONNX Runtime (eval.jsonl)
    const evals = readFileSync(join(DEFAULT_MODEL, 'eval.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const last = evals[evals.length - 1];
    expect(last.step).toBe(1500);
    // trained with a random ordinary first token: no BOS
    expect({ input: got.input, sequences: got.sequences, seqLen: got.seqLen, firstTokenIsBos: got.firstTokenIsBos }).toEqual({ input: 'dataset backcopy-64', sequences: 100, seqLen: 64, firstTokenIsBos: false });
    expect(got.sinkRate).toBe(last.sinkRate);
    // measure lists the blocks with attention (block 0 has none; the trainer's row holds null for it)
    expect(got.layers.map((l: { layer: number; sinkRate: number }) => [l.layer, l.sinkRate])).toEqual(
      (last.perLayerSinkRate as (number | null)[]).flatMap((rate, layer) => (rate === null ? [] : [[layer, rate]])),
    );
    got.hiddenStates.forEach((s: { normRatio: number; entropyNormalized: number }, i: number) => {
      expect(Math.abs(s.normRatio - last.normRatio[i])).toBeLessThan(1e-5);
      expect(Math.abs(s.entropyNormalized - last.entropyNormalized[i])).toBeLessThan(1e-5);
    });
  });

  it('any other checkpoint with a tokenizer measures sotu-64; one without a tokenizer is told to give token ids', async () => {
    const copy = join(tmp, 'backcopy-copy');
    cpSync(DEFAULT_MODEL, copy, { recursive: true });
    const out = join(tmp, 'copy.json');
    // English is all unknown words to the t0..t63 vocabulary, and its unknown token is BOS, which a sequence without
    // a BOS prefix may not start with: the error says so rather than calling the corpus short
    const allBos = await sinkscope('measure', '--model', copy, '--json', out);
    expect(allBos.code).toBe(2);
    expect(allBos.stderr).toContain('fit 0 non-overlapping sequences of 64 tokens (64 text tokens)');
    expect(allBos.stderr).toContain('more windows start with token id 64, the BOS id, which no sequence may start with when the tokenizer adds no BOS');
    // with unknown words mapped to t0 instead, sotu-64 builds
    const tokenizerFile = join(copy, 'tokenizer.json');
    const tokenizer = JSON.parse(readFileSync(tokenizerFile, 'utf8')) as { model: { unk_token: string } };
    tokenizer.model.unk_token = 't0';
    writeFileSync(tokenizerFile, JSON.stringify(tokenizer));
    const r = await sinkscope('measure', '--model', copy, '--json', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^dataset sotu-64 \(the default dataset for a checkpoint with a tokenizer; --text or --token-ids to choose\)$/m);
    const got = JSON.parse(readFileSync(out, 'utf8'));
    expect({ input: got.input, sequences: got.sequences, seqLen: got.seqLen }).toEqual({ input: 'dataset sotu-64', sequences: 100, seqLen: 64 });

    const none = await sinkscope('measure', '--model', join(FIXTURES, 'gpt2'), '--json', join(tmp, 'none.json'));
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe(`sinkscope measure: ${join(FIXTURES, 'gpt2')} has no tokenizer.json, so there is no default dataset for it: give --token-ids <file.json> (or --text with a checkpoint that has a tokenizer)`);
  });
});
