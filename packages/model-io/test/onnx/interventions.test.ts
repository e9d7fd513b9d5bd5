import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, TfjsModel, tfInterventionMap, type HookName, type HostArray, type InterventionSpec } from '../../src/index.js';
import { OnnxModel } from '../../src/engines/onnx/index.js';
import { fixtureDir } from '../fixtures.js';

/** max |a - b| / max(1, max |b|) over two captures of the same hook. */
function scaledDiff(a: HostArray, b: HostArray): number {
  expect(a.shape).toEqual(b.shape);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.data.length; i++) {
    diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
    scale = Math.max(scale, Math.abs(b.data[i]));
  }
  return diff / scale;
}

function fixtureSequences(fixture: string): number[][] {
  const ids = readSafetensors(`${fixtureDir(fixture)}/expected.safetensors`).tensors.get('input_ids')!;
  const [batch, seqLen] = ids.shape;
  return Array.from({ length: batch }, (_, b) => Array.from(ids.data.subarray(b * seqLen, (b + 1) * seqLen)));
}

/** Vector of sequence b at position t of a [B,T,W] capture. */
function vec(a: HostArray, b: number, t: number): Float32Array {
  const [, T, W] = a.shape;
  return a.data.subarray((b * T + t) * W, (b * T + t + 1) * W);
}

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.floor(s.length / 2)]) / 2;
}

/** What each kind must make of baseline vector `x` at a chosen position (float64 from the baseline capture). */
function expectedVector(spec: InterventionSpec, base: HostArray, b: number, t: number, others: number[]): number[] {
  const x = Array.from(vec(base, b, t));
  const full = fullChange(spec, x, base, b, others);
  // a dose: x + strength (f(x) - x)
  return spec.strength === undefined ? full : full.map((f, i) => x[i] + spec.strength! * (f - x[i]));
}

function fullChange(spec: InterventionSpec, x: number[], base: HostArray, b: number, others: number[]): number[] {
  switch (spec.kind) {
    case 'zero':
      return x.map(() => 0);
    case 'mean-of-others':
      return x.map((_, i) => others.reduce((s, o) => s + vec(base, b, o)[i], 0) / others.length);
    case 'rescale-norm': {
      const target = spec.norm === 'median-of-others' ? median(others.map((o) => norm(vec(base, b, o)))) : spec.norm;
      return x.map((v) => (v * target) / norm(x));
    }
    case 'set-dims':
      return x.map((v, i) => (spec.dims.includes(i) ? spec.value : v));
    case 'add-direction':
      return x.map((v, i) => v + (spec.scale ?? 1) * spec.direction[i]);
  }
}

const D = 64;
const direction = Array.from({ length: D }, (_, i) => Math.sin(i + 1));
const SPECS: InterventionSpec[] = [
  { kind: 'zero', hook: 'blocks.1.hook_resid_post' },
  { kind: 'mean-of-others', hook: 'blocks.0.hook_resid_post', positions: [0, 3] },
  { kind: 'rescale-norm', hook: 'blocks.1.hook_resid_mid', norm: 2.5 },
  { kind: 'rescale-norm', hook: 'blocks.0.hook_attn_out', norm: 'median-of-others' }, // 16 others: mean of the middle pair
  { kind: 'rescale-norm', hook: 'blocks.2.hook_resid_pre', positions: [0, 5], norm: 'median-of-others' },
  { kind: 'set-dims', hook: 'blocks.1.hook_mlp_out', dims: [3, 17, 40], value: -1.5 },
  { kind: 'add-direction', hook: 'hook_embed', positions: [2], direction, scale: -0.75 },
  // doses of the same changes (dose-response curves)
  { kind: 'zero', hook: 'blocks.1.hook_resid_post', strength: 0.25 },
  { kind: 'rescale-norm', hook: 'blocks.2.hook_resid_pre', positions: [0, 5], norm: 'median-of-others', strength: 0.5 },
  { kind: 'set-dims', hook: 'blocks.1.hook_mlp_out', dims: [3, 17, 40], value: -1.5, strength: 0.75 },
];

describe.each(['llama', 'gpt2'])('declarative interventions: %s', (fixture) => {
  let onnx: OnnxModel;
  let tfjs: TfjsModel;
  const sequences = fixtureSequences(fixture);
  const T = sequences[0].length;

  beforeAll(async () => {
    onnx = await OnnxModel.load(fixtureDir(fixture), { threads: 1, streaming: false });
    tfjs = await TfjsModel.load(fixtureDir(fixture), { backend: 'wasm' });
  });
  afterAll(async () => {
    await onnx?.dispose();
    tfjs?.dispose();
  });

  it.each(SPECS.map((s) => [`${s.kind} at ${s.hook}${s.strength === undefined ? '' : ` (strength ${s.strength})`}`, s] as const))('%s: exact at the chosen positions, untouched elsewhere, same on both engines', async (_, spec) => {
    const capture: HookName[] = [spec.hook, 'blocks.2.hook_resid_post', 'logits'];
    const base = await onnx.run(sequences, { capture });
    const got = await onnx.run(sequences, { capture, interventions: [spec] });
    const ref = tfjs.run(sequences, { capture, interventions: tfInterventionMap([spec]) });
    const positions = spec.positions ?? [0];
    const others = Array.from({ length: T }, (_, t) => t).filter((t) => !positions.includes(t));
    const hooked = got.get(spec.hook)!;
    let worst = 0;
    for (let b = 0; b < sequences.length; b++) {
      for (const t of positions) {
        const want = expectedVector(spec, base.get(spec.hook)!, b, t, others);
        vec(hooked, b, t).forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want[i]) / Math.max(1, Math.abs(want[i])))));
      }
      for (const t of others) expect(Array.from(vec(hooked, b, t))).toEqual(Array.from(vec(base.get(spec.hook)!, b, t)));
    }
    expect(worst).toBeLessThanOrEqual(1e-5);
    // the intervention reached the output (no silent no-op), and tfjs gives the same activations
    expect(scaledDiff(got.get('logits')!, base.get('logits')!)).toBeGreaterThan(1e-3);
    for (const hook of capture) expect(scaledDiff(got.get(hook)!, ref.get(hook)!), hook).toBeLessThanOrEqual(1e-5);
  });

  it('strength 0 leaves every activation bit-identical; strength 1 is the full change', async () => {
    const capture: HookName[] = ['blocks.1.hook_resid_post', 'logits'];
    const base = await onnx.run(sequences, { capture });
    const none = await onnx.run(sequences, { capture, interventions: [{ kind: 'zero', hook: 'blocks.1.hook_resid_post', strength: 0 }] });
    const full = await onnx.run(sequences, { capture, interventions: [{ kind: 'zero', hook: 'blocks.1.hook_resid_post' }] });
    const one = await onnx.run(sequences, { capture, interventions: [{ kind: 'zero', hook: 'blocks.1.hook_resid_post', strength: 1 }] });
    for (const hook of capture) {
      expect(Array.from(none.get(hook)!.data)).toEqual(Array.from(base.get(hook)!.data));
      expect(Array.from(one.get(hook)!.data)).toEqual(Array.from(full.get(hook)!.data));
    }
    await expect(onnx.run(sequences, { interventions: [{ kind: 'zero', hook: 'logits', strength: NaN }] })).rejects.toThrow(/field 'strength' must be a finite number/);
  });

  it('several interventions apply in list order', async () => {
    const specs: InterventionSpec[] = [
      { kind: 'rescale-norm', hook: 'blocks.0.hook_resid_post', norm: 3 },
      { kind: 'set-dims', hook: 'blocks.0.hook_resid_post', dims: [0], value: 0 },
    ];
    const got = await onnx.run(sequences, { capture: ['blocks.0.hook_resid_post', 'logits'], interventions: specs });
    const ref = tfjs.run(sequences, { capture: ['blocks.0.hook_resid_post', 'logits'], interventions: tfInterventionMap(specs) });
    expect(vec(got.get('blocks.0.hook_resid_post')!, 1, 0)[0]).toBe(0);
    expect(norm(vec(got.get('blocks.0.hook_resid_post')!, 1, 0))).toBeLessThan(3);
    expect(scaledDiff(got.get('logits')!, ref.get('logits')!)).toBeLessThanOrEqual(1e-5);
  });
});

describe('interventions on a ragged batch', () => {
  it('"others" are the real tokens: a padded sequence gets what it gets alone, on both engines', async () => {
    const full = fixtureSequences('qwen2');
    const ragged = [full[0], full[1].slice(0, 9), full[2].slice(0, 12)];
    const specs: InterventionSpec[] = [
      { kind: 'mean-of-others', hook: 'blocks.0.hook_resid_post', positions: [1] },
      { kind: 'rescale-norm', hook: 'blocks.1.hook_resid_post', norm: 'median-of-others' },
    ];
    const capture: HookName[] = ['blocks.1.hook_resid_post', 'logits'];
    const onnx = await OnnxModel.load(fixtureDir('qwen2'), { threads: 1, streaming: false });
    const tfjs = await TfjsModel.load(fixtureDir('qwen2'), { backend: 'wasm' });
    try {
      const batched = await onnx.run(ragged, { capture, interventions: specs });
      const tf = tfjs.run(ragged, { capture, interventions: tfInterventionMap(specs, ragged.map((s) => s.length)) });
      for (const hook of capture) expect(scaledDiff(batched.get(hook)!, tf.get(hook)!), hook).toBeLessThanOrEqual(1e-5);
      for (const [b, seq] of ragged.entries()) {
        const alone = (await onnx.run([seq], { capture, interventions: specs })).get('logits')!;
        const [, , V] = alone.shape;
        const inBatch = batched.get('logits')!.data.subarray(b * 17 * V, (b * 17 + seq.length) * V);
        let diff = 0;
        inBatch.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - alone.data[i]))));
        expect(diff, `sequence ${b}`).toBeLessThanOrEqual(1e-5);
      }
    } finally {
      await onnx.dispose();
      tfjs.dispose();
    }
  });
});

describe('intervention specs are checked before any work', () => {
  let model: OnnxModel;
  beforeAll(async () => {
    model = await OnnxModel.load(fixtureDir('gpt2'), { threads: 1, streaming: false });
  });
  afterAll(async () => model?.dispose());
  const run = (spec: unknown) => model.run([[511, 3, 4]], { interventions: [spec as InterventionSpec] });

  it('unknown kind lists the valid kinds', async () => {
    await expect(run({ kind: 'ablate', hook: 'logits' })).rejects.toThrow(/interventions\[0\]: unknown kind "ablate" \(valid: zero, mean-of-others, rescale-norm, set-dims, add-direction\)/);
  });
  it('a hook that is not [B,T,width] names the valid hooks', async () => {
    await expect(run({ kind: 'zero', hook: 'blocks.0.attn.hook_pattern' })).rejects.toThrow(/hook 'blocks\.0\.attn\.hook_pattern' is not an intervention point .*valid: hook_embed, blocks\.\{l\}\.hook_resid_pre/);
  });
  it('dims outside the width, a direction of the wrong length, a position past the batch', async () => {
    await expect(run({ kind: 'set-dims', hook: 'blocks.0.hook_resid_pre', dims: [64], value: 0 })).rejects.toThrow(/field 'dims\[0\]' = 64 is outside 0\.\.63/);
    await expect(run({ kind: 'add-direction', hook: 'blocks.0.hook_resid_pre', direction: [1, 2] })).rejects.toThrow(/field 'direction' has 2 values but blocks\.0\.hook_resid_pre is 64 wide/);
    await expect(run({ kind: 'zero', hook: 'blocks.0.hook_resid_pre', positions: [5] })).rejects.toThrow(/position 5 is outside this batch's positions 0\.\.2/);
    await expect(run({ kind: 'mean-of-others', hook: 'blocks.0.hook_resid_pre', positions: [0, 1, 2] })).rejects.toThrow(/sequence 0 \(length 3\) has no tokens besides positions \[0, 1, 2\]/);
  });
});
