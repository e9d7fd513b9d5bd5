import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXTRA_FIXTURES_DIR } from '@sinkscope/model-io/testing';
import { runCli } from './fuzz/helpers.js';

/** `sinkscope inspect` (in-process) on the hf-extra fixtures: what each newer family uses of each feature. */
describe('sinkscope inspect: the newer families', () => {
  const inspectJson = async (fixture: string) => {
    const r = await runCli(['inspect', join(EXTRA_FIXTURES_DIR, fixture), '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  it('gemma2: sliding window on its sliding layers, soft-caps, sublayer norms, query_pre_attn_scalar', async () => {
    expect(await inspectJson('gemma2')).toMatchObject({
      modelType: 'gemma2',
      slidingWindow: '6 tokens on layers 0',
      softCap: 'attention 1, final logits 3',
      sublayerNorms: 'before and after each sublayer',
      attentionScale: Number((32 ** -0.5).toPrecision(6)),
      ropeScaling: null,
      experts: null,
    });
  });

  it('rope scaling as resolved (yarn), experts (mixtral, in the text form), ALiBi slopes (bloom)', async () => {
    expect((await inspectJson('llama_rope_yarn')).ropeScaling).toBe('yarn (factor 4, original 32, beta 32/1, attention factor 1.13863)');
    expect((await inspectJson('bloom')).positional).toBe('alibi (slopes 0.25, 0.0625, 0.01563, 0.003906)');
    const text = await runCli(['inspect', join(EXTRA_FIXTURES_DIR, 'mixtral')]);
    expect(text.stdout).toMatch(/experts\s+4 experts, top 2, renormalised/);
    expect(text.stdout).toMatch(/ropeScaling\s+none/);
  });
});
