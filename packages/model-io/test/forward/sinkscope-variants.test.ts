import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hookNames, hookRows, loadAllWeights, loadExtractionModel, OnnxModel, parameterCount, sequencePattern, sequenceRows, TfjsModel, Checkpoint, type HookName, type HostArray, type InterventionSpec } from '../../src/index.js';
import { writeSinkscopeCheckpoint, type SinkscopeTestConfig as Config } from '../../src/testing/index.js';
import { referenceForward, type ReferenceOutput } from './sinkscope-reference.js';

/**
 * Every `model_type: "sinkscope"` variant through both engines against the float64 reference
 * (sinkscope-reference.ts): logits, every hidden state, every attention map and slot weight, on a
 * ragged batch (right padding behind a sink token too). Tolerance: scaled max |diff| <= 2e-5 (float32
 * engines over two blocks with weights of std 0.5, against float64).
 */
const TOLERANCE = 2e-5;
const BASE: Config = { vocab_size: 11, n_positions: 8, n_embd: 8, n_layer: 2, n_head: 2, n_inner: 12, activation_function: 'gelu_new' };
const VARIANTS: [string, Record<string, unknown>, number?][] = [
  ['GPT-2 layout, sinusoidal', { position_encoding: 'sinusoidal' }],
  ['post-norm, RMSNorm', { norm_placement: 'post', norm_type: 'rmsnorm' }],
  ['sigmoid attention', { attention_op: 'sigmoid' }],
  ['normalised sigmoid, key/value slot', { attention_op: 'sigmoid_norm', kv_bias: 'kv' }],
  ['elu+1 linear attention, key-only slot, RoPE', { attention_op: 'elu1', kv_bias: 'k', position_encoding: 'rope' }],
  ['learnable sink token, RoPE, value-only slot', { learnable_sink_token: true, position_encoding: 'rope', kv_bias: 'v' }],
  ['sink token, post-norm, sigmoid', { learnable_sink_token: true, norm_placement: 'post', attention_op: 'sigmoid' }],
  ['prefix-LM mask, no positions', { prefix_length: 3, position_encoding: 'none' }],
  ['ALiBi', { position_encoding: 'alibi' }],
  ['ALiBi, normalised sigmoid, sink token, key/value slot', { position_encoding: 'alibi', attention_op: 'sigmoid_norm', learnable_sink_token: true, kv_bias: 'kv' }],
  ['sliding window + sink token', { sliding_window: 2, learnable_sink_token: true }],
  ['block 0 without attention, RMSNorm + SwiGLU, untied, no biases', { attention_free_layers: [0], norm_type: 'rmsnorm', gated_mlp: true, activation_function: 'silu', tie_word_embeddings: false, linear_bias: false }],
  ['block 1 without MLP, relu', { mlp_free_layers: [1], activation_function: 'relu' }],
  // weights of std 1.5: scores far below -18, where ORT's Sigmoid returns exactly 0 (rows of them once normalised to 0 / 0 = NaN)
  ['normalised sigmoid, large scores', { attention_op: 'sigmoid_norm' }, 1.5],
];
const BATCH = [
  [1, 5, 9, 2, 7, 3],
  [4, 10, 0, 6],
];

const root = mkdtempSync(join(tmpdir(), 'sinkscope-variants-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** max |a - b| / max(1, max |b|) over the real rows of sequence `b` of a captured hook. */
function compare(got: HostArray, b: number, expected: number[][], rows: number): number {
  const width = got.shape.slice(2).reduce((x, y) => x * y, 1);
  const T = got.shape[1];
  let diff = 0;
  let scale = 1;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < width; i++) {
      diff = Math.max(diff, Math.abs(got.data[(b * T + r) * width + i] - expected[r][i]));
      scale = Math.max(scale, Math.abs(expected[r][i]));
    }
  }
  return diff / scale;
}

/** Pattern [B,H,T,T] (or slot [B,H,T,1]) of sequence b against the reference's [H][R][R|1]. */
function comparePattern(got: HostArray, b: number, expected: number[][][], rows: number): number {
  const [, H, T, K] = got.shape;
  let diff = 0;
  for (let h = 0; h < H; h++) for (let t = 0; t < rows; t++) for (let s = 0; s < Math.min(rows, K); s++) diff = Math.max(diff, Math.abs(got.data[((b * H + h) * T + t) * K + s] - expected[h][t][s]));
  return diff;
}

function captureList(names: HookName[]): HookName[] {
  return names.filter((n) => n === 'logits' || /hook_resid_(pre|post)$|ln_final|hook_pattern|hook_slot/.test(n));
}

function check(outputs: Map<HookName, HostArray>, refs: ReferenceOutput[], config: Config, label: string): number {
  let worst = 0;
  const note = (name: string, d: number) => {
    expect(d, `${label} ${name}`).toBeLessThanOrEqual(TOLERANCE);
    worst = Math.max(worst, d);
  };
  refs.forEach((ref, b) => {
    const tokens = BATCH[b].length;
    note(`logits[${b}]`, compare(outputs.get('logits')!, b, ref.logits, tokens));
    const rows = ref.hidden[0].length;
    note(`hidden 0 [${b}]`, compare(outputs.get('blocks.0.hook_resid_pre')!, b, ref.hidden[0], rows));
    for (let l = 0; l < config.n_layer - 1; l++) note(`hidden ${l + 1} [${b}]`, compare(outputs.get(`blocks.${l}.hook_resid_post`)!, b, ref.hidden[l + 1], rows));
    note(`final norm [${b}]`, compare(outputs.get('ln_final.hook_normalized')!, b, ref.hidden[config.n_layer], rows));
    for (const [l, pattern] of ref.patterns) note(`pattern ${l} [${b}]`, comparePattern(outputs.get(`blocks.${l}.attn.hook_pattern`)!, b, pattern, rows));
    for (const [l, slot] of ref.slots) note(`slot ${l} [${b}]`, comparePattern(outputs.get(`blocks.${l}.attn.hook_slot`)!, b, slot.map((perQuery) => perQuery.map((w) => [w])), rows));
  });
  return worst;
}

describe.each(VARIANTS)('sinkscope variant: %s', (label, fields, std) => {
  const config = { ...BASE, ...fields } as Config;
  const dir = join(root, label.replace(/[^a-z0-9]+/gi, '-'));
  let refs: ReferenceOutput[];
  beforeAll(() => {
    const tensors = writeSinkscopeCheckpoint(dir, config, 7, std);
    refs = BATCH.map((ids) => referenceForward(config, tensors, ids));
  });

  it('tfjs and onnx match the float64 reference on a ragged batch', async () => {
    const tfjs = await TfjsModel.load(dir, { backend: 'wasm' });
    const onnx = await OnnxModel.load(dir, { threads: 1 });
    try {
      const capture = captureList(hookNames(tfjs.arch));
      check(tfjs.run(BATCH, { capture }), refs, config, `${label} (tfjs)`);
      check(await onnx.run(BATCH, { capture }), refs, config, `${label} (onnx)`);
      // the adapter reads every tensor the checkpoint holds, and parameterCount counts them (sink token,
      // slot vectors, missing sublayers, untied head)
      const checkpoint = Checkpoint.open(dir);
      try {
        loadAllWeights(checkpoint.family, checkpoint.arch, checkpoint);
        expect(checkpoint.unusedTensors()).toEqual([]);
        // (a sinusoidal table is counted like the learned one it stands in for)
        if (fields.position_encoding !== 'sinusoidal') expect(parameterCount(checkpoint.arch)).toBe(checkpoint.tensorNames.reduce((n, name) => n + checkpoint.read(name).data.length, 0));
      } finally {
        checkpoint.close();
      }
    } finally {
      tfjs.dispose();
      await onnx.dispose();
    }
  });
});

describe('sinkscope variants in the pipelines', () => {
  const config = { ...BASE, learnable_sink_token: true, attention_free_layers: [0], kv_bias: 'kv' } as Config;
  const dir = join(root, 'pipeline-variant');
  beforeAll(() => writeSinkscopeCheckpoint(dir, config, 3));

  it('hooks: a block without attention has none of its hooks; a slot adds hook_slot; the sink row counts inside the blocks only', async () => {
    const model = await TfjsModel.load(dir, { backend: 'wasm' });
    try {
      const names = hookNames(model.arch);
      expect(names.filter((n) => n.startsWith('blocks.0.'))).toEqual(['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_post', 'blocks.0.hook_mlp_out']);
      expect(names).toContain('blocks.1.attn.hook_slot');
      expect([hookRows(model.arch, 'logits', 5), hookRows(model.arch, 'hook_embed', 5), hookRows(model.arch, 'blocks.1.hook_resid_post', 5)]).toEqual([5, 5, 6]);
    } finally {
      model.dispose();
    }
  });

  it('an intervention at position 0 (the sink token) and a streamed run give the same activations on both engines', async () => {
    const interventions: InterventionSpec[] = [{ kind: 'mean-of-others', hook: 'blocks.0.hook_resid_post' }];
    const capture: HookName[] = ['blocks.1.attn.hook_pattern', 'logits', 'blocks.1.hook_resid_post'];
    const tfjs = await loadExtractionModel(dir, { engine: 'tfjs', backend: 'wasm' });
    const onnx = await OnnxModel.load(dir, { threads: 1, streaming: true });
    try {
      const a = await tfjs.run(BATCH, { capture, interventions });
      const b = await onnx.run(BATCH, { capture, interventions });
      const plain = await tfjs.run(BATCH, { capture });
      // real rows only: a streamed run's padding rows are zeros, an in-memory run's are computed (and never read)
      const realRows = (out: Map<HookName, HostArray>, hook: HookName) =>
        BATCH.flatMap((ids, s) => [...(hook.endsWith('hook_pattern') ? sequencePattern(out.get(hook)!, s, hookRows(tfjs.arch, hook, ids.length)) : sequenceRows(out.get(hook)!, s, hookRows(tfjs.arch, hook, ids.length)))]);
      for (const hook of capture) {
        const x = realRows(a, hook);
        const y = realRows(b, hook);
        expect(x.length).toBe(y.length);
        expect(Math.max(...x.map((v, i) => Math.abs(v - y[i]))), hook).toBeLessThan(1e-5);
      }
      // the intervention changed the sink token's row and through it everything after
      const unchanged = realRows(plain, 'logits');
      expect(Math.max(...realRows(a, 'logits').map((v, i) => Math.abs(v - unchanged[i])))).toBeGreaterThan(1e-3);
    } finally {
      tfjs.dispose();
      await onnx.dispose();
    }
  });
});
