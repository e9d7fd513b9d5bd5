import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpoint, hookNames, resolveHooks, TfjsModel, type HookName } from '../../src/index.js';
import { extraFixtureDir, readReadme } from '../../src/testing/index.js';
import { fixtureDir, scaledMaxDiff } from '../fixtures.js';

describe('hook names', () => {
  let model: TfjsModel;
  beforeAll(async () => {
    model = await TfjsModel.load(fixtureDir('gpt2'), { backend: 'wasm' });
  });
  afterAll(() => model.dispose());

  /** Block 0's hooks as the root README documents them. */
  const BLOCK_0 = [
    'blocks.0.hook_resid_pre',
    'blocks.0.hook_resid_mid',
    'blocks.0.hook_resid_post',
    'blocks.0.attn.hook_q',
    'blocks.0.attn.hook_k',
    'blocks.0.attn.hook_v',
    'blocks.0.attn.hook_pattern',
    'blocks.0.hook_attn_out',
    'blocks.0.hook_mlp_out',
  ];

  it('are the documented TransformerLens set', () => {
    const names = hookNames(model.arch);
    expect(names.slice(0, 2)).toEqual(['hook_embed', 'hook_pos_embed']);
    expect(names.filter((n) => n.startsWith('blocks.0.'))).toEqual(BLOCK_0);
    expect(names.slice(-2)).toEqual(['ln_final.hook_normalized', 'logits']);
    expect(names.length).toBe(2 + 3 * 9 + 2);
  });

  it('sparse MoE blocks add the documented blocks.{l}.mlp.hook_router_probs (and the README lists it)', () => {
    const mixtral = Checkpoint.open(extraFixtureDir('mixtral'));
    try {
      expect(hookNames(mixtral.arch).filter((n) => n.startsWith('blocks.0.'))).toEqual([...BLOCK_0, 'blocks.0.mlp.hook_router_probs']);
    } finally {
      mixtral.close();
    }
    expect(readReadme()).toContain('`blocks.{l}.mlp.hook_router_probs`');
  });

  it('globs expand within one dotted part; unknown names list the valid kinds', () => {
    expect(resolveHooks(model.arch, 'blocks.*.hook_resid_post,logits')).toEqual([
      'blocks.0.hook_resid_post',
      'blocks.1.hook_resid_post',
      'blocks.2.hook_resid_post',
      'logits',
    ]);
    expect(() => resolveHooks(model.arch, 'blocks.7.hook_resid_post')).toThrow(/unknown hook 'blocks\.7\.hook_resid_post' .*3 layers \(valid: hook_embed, hook_pos_embed, blocks\.\{l\}\.hook_resid_pre/);
    expect(() => resolveHooks(model.arch, 'blocks.*.hook_resid')).toThrow(/unknown hook/);
  });

  it('shapes follow the documented layout', () => {
    const out = model.run([[511, 3, 4, 5]], {
      capture: ['blocks.1.attn.hook_q', 'blocks.1.attn.hook_k', 'blocks.1.attn.hook_pattern', 'blocks.1.hook_mlp_out', 'logits'],
    });
    expect(out.get('blocks.1.attn.hook_q')!.shape).toEqual([1, 4, 4, 16]);
    expect(out.get('blocks.1.attn.hook_k')!.shape).toEqual([1, 4, 4, 16]);
    expect(out.get('blocks.1.attn.hook_pattern')!.shape).toEqual([1, 4, 4, 4]);
    expect(out.get('blocks.1.hook_mlp_out')!.shape).toEqual([1, 4, 64]);
    expect(out.get('logits')!.shape).toEqual([1, 4, 512]);
  });
});

describe('forward semantics', () => {
  it('a ragged, right-padded batch equals each sequence run alone', async () => {
    const model = await TfjsModel.load(fixtureDir('llama'), { backend: 'wasm' });
    try {
      const seqs = [[1, 40, 41, 42, 43, 44], [1, 7, 8]];
      const hooks: HookName[] = ['blocks.2.hook_resid_post', 'blocks.1.attn.hook_pattern', 'logits'];
      const together = model.run(seqs, { capture: hooks });
      seqs.forEach((seq, b) => {
        const alone = model.run([seq], { capture: hooks });
        for (const h of hooks) {
          const full = together.get(h)!;
          const single = alone.get(h)!;
          // slice sequence b's real positions out of the padded batch output
          const got = sliceReal(full, b, seq.length, h === 'blocks.1.attn.hook_pattern');
          expect(scaledMaxDiff(got, single.data), `${h} sequence ${b}`).toBeLessThan(1e-5);
        }
      });
    } finally {
      model.dispose();
    }
  });

  it('GQA key heads are un-repeated in hook_k (Hkv = 2 for the llama fixture)', async () => {
    const model = await TfjsModel.load(fixtureDir('llama'), { backend: 'wasm' });
    try {
      const out = model.run([[1, 2, 3]], { capture: ['blocks.0.attn.hook_k', 'blocks.0.attn.hook_q'] });
      expect(out.get('blocks.0.attn.hook_k')!.shape).toEqual([1, 3, 2, 16]);
      expect(out.get('blocks.0.attn.hook_q')!.shape).toEqual([1, 3, 4, 16]);
    } finally {
      model.dispose();
    }
  });

  it('an intervention replaces the activation downstream: zeroing mlp_out makes resid_post equal resid_mid', async () => {
    const model = await TfjsModel.load(fixtureDir('gpt2'), { backend: 'wasm' });
    try {
      const base = model.run([[511, 10, 20, 30]], { capture: ['blocks.1.hook_resid_post', 'logits'] });
      const out = model.run([[511, 10, 20, 30]], {
        capture: ['blocks.1.hook_resid_mid', 'blocks.1.hook_resid_post', 'logits'],
        interventions: new Map([['blocks.1.hook_mlp_out', (x: tf.Tensor) => tf.zerosLike(x)]]),
      });
      expect(Array.from(out.get('blocks.1.hook_resid_post')!.data)).toEqual(Array.from(out.get('blocks.1.hook_resid_mid')!.data));
      expect(scaledMaxDiff(out.get('logits')!.data, base.get('logits')!.data)).toBeGreaterThan(1e-3);
    } finally {
      model.dispose();
    }
  });

  it('rejects token ids outside the vocabulary before any work', async () => {
    const model = await TfjsModel.load(fixtureDir('gpt2'), { backend: 'wasm' });
    try {
      expect(() => model.run([[1, 512]])).toThrow(/token id 512 at flat index 1 is outside the vocabulary \[0, 512\)/);
    } finally {
      model.dispose();
    }
  });
});

/** Sequence b's first `len` positions (and keys, for patterns) out of a padded [B, T, ...] or [B, H, T, T] output. */
function sliceReal(t: { shape: readonly number[]; data: Float32Array }, b: number, len: number, isPattern: boolean): Float32Array {
  if (isPattern) {
    const [, H, T] = t.shape;
    const out = new Float32Array(H * len * len);
    for (let h = 0; h < H; h++)
      for (let q = 0; q < len; q++)
        for (let k = 0; k < len; k++) out[(h * len + q) * len + k] = t.data[((b * H + h) * T + q) * T + k];
    return out;
  }
  const [, T, ...rest] = t.shape;
  const inner = rest.reduce((a, c) => a * c, 1);
  return t.data.slice(b * T * inner, (b * T + len) * inner);
}
