import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hiddenStateHooks, type HookName, type HostArray } from '../../src/index.js';
import { OnnxModel } from '../../src/engines/onnx/index.js';
import { fixtureDir, fixtureNames } from '../fixtures.js';
import { tracedWeightBytes } from './traced-bytes.js';
import { attentionPairs, describeReadmeParity, expectGoldenMatch, goldenRun, hiddenStatePairs } from '../golden-parity.js';

/** Every fixture's diffs, for the README check at the end: {fixture: {tensor: diff}}. */
const allDiffs: Record<string, Record<string, number>> = {};

/** The traced ONNX graph matches `transformers` v4.44.2 on every shared fixture: logits, every hidden state, every attention map. */
describe.each(fixtureNames())('onnx engine matches transformers: %s', (fixture) => {
  let model: OnnxModel;
  const { expected, sequences, seqLen } = goldenRun(fixture);
  let outputs: Map<HookName, HostArray>;
  const diffs: Record<string, number> = {};
  allDiffs[fixture] = diffs;

  beforeAll(async () => {
    model = await OnnxModel.load(fixtureDir(fixture), { threads: 1, streaming: false });
    outputs = await model.run(sequences, { capture: ['logits', ...[...hiddenStatePairs(model.arch), ...attentionPairs(model.arch)].map((p) => p.hook)] });
  });

  afterAll(async () => {
    await model?.dispose();
    console.log(`${fixture} (onnx): max scaled |diff| ${JSON.stringify(diffs)}`);
  });

  it('reads every checkpoint tensor', () => {
    expect(model.checkpoint.unusedTensors).toEqual([]);
    expect(model.streaming).toBe(false);
  });

  it('logits', () => {
    expectGoldenMatch(outputs.get('logits'), expected.get('logits'), { golden: 'logits', label: 'logits' }, diffs);
  });

  it('every hidden state (transformers convention)', () => {
    for (const pair of hiddenStatePairs(model.arch)) expectGoldenMatch(outputs.get(pair.hook), expected.get(pair.golden), pair, diffs);
  });

  it('every attention map, exactly 0 above the diagonal', () => {
    for (const pair of attentionPairs(model.arch)) {
      const got = outputs.get(pair.hook)!;
      expectGoldenMatch(got, expected.get(pair.golden), pair, diffs);
      let aboveDiagonal = 0;
      for (let i = 0; i < got.data.length; i++) {
        const t = Math.floor(i / seqLen) % seqLen;
        if (i % seqLen > t) aboveDiagonal = Math.max(aboveDiagonal, Math.abs(got.data[i]));
      }
      expect(aboveDiagonal).toBe(0);
    }
  });

  it('only the requested hooks are graph outputs', () => {
    expect([...outputs.keys()].sort()).toEqual(['logits', ...hiddenStateHooks(model.arch), ...Array.from({ length: model.arch.nLayers }, (_, l) => `blocks.${l}.attn.hook_pattern`)].sort());
  });
});

describeReadmeParity('onnx', allDiffs, fixtureNames().length);

describe('the traced graph holds every checkpoint weight exactly once, where it lies', () => {
  it.each(fixtureNames())('%s: external data = every checkpoint tensor as stored, in its own file (a tied LM head reuses the embedding)', (fixture) => {
    const bytes = tracedWeightBytes(fixtureDir(fixture));
    expect(bytes.graph).toBe(bytes.checkpoint);
    expect(bytes.embedded).toBe(0);
    expect(bytes.externalDataFolder).toBe(fixtureDir(fixture));
  });
});
