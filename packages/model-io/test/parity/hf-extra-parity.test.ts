import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfjsModel, type ArchSpec, type HookName, type HostArray } from '../../src/index.js';
import { OnnxModel } from '../../src/engines/onnx/index.js';
import { extraFixtureDir } from '../../src/testing/index.js';
import { attentionPairs, expectGoldenMatch, goldenRun, hiddenStatePairs, type GoldenPair } from '../golden-parity.js';

/** The hf-extra fixtures (float64 reference of transformers v4.57.1, test/fixtures/hf-extra/README.md) this suite runs. */
const FIXTURES = ['bloom'];

/** Every golden tensor of a fixture with the hook that must reproduce it. */
function goldenPairs(arch: ArchSpec): GoldenPair[] {
  return [{ golden: 'logits', hook: 'logits', label: 'logits' }, ...hiddenStatePairs(arch), ...attentionPairs(arch)];
}

type Engine = 'tfjs' | 'onnx' | 'onnx streaming';

async function runEngine(engine: Engine, dir: string, sequences: number[][], capture: (arch: ArchSpec) => HookName[]): Promise<{ arch: ArchSpec; unused: readonly string[]; outputs: Map<HookName, HostArray> }> {
  if (engine === 'tfjs') {
    const model = await TfjsModel.load(dir, { backend: 'wasm' });
    try {
      return { arch: model.arch, unused: model.checkpoint.unusedTensors, outputs: model.run(sequences, { capture: capture(model.arch) }) };
    } finally {
      model.dispose();
    }
  }
  const model = await OnnxModel.load(dir, { threads: 1, streaming: engine === 'onnx streaming' });
  try {
    return { arch: model.arch, unused: model.checkpoint.unusedTensors, outputs: await model.run(sequences, { capture: capture(model.arch) }) };
  } finally {
    await model.dispose();
  }
}

describe.each(['tfjs', 'onnx', 'onnx streaming'] as const)('%s engine matches the v4.57.1 reference', (engine) => {
  describe.each(FIXTURES)('%s', (fixture) => {
    const dir = extraFixtureDir(fixture);
    const { expected, sequences } = goldenRun(fixture, dir);
    let run: Awaited<ReturnType<typeof runEngine>>;
    const diffs: Record<string, number> = {};

    beforeAll(async () => {
      run = await runEngine(engine, dir, sequences, (arch) => goldenPairs(arch).map((p) => p.hook));
    });
    afterAll(() => console.log(`${fixture} (${engine}): max scaled |diff| ${JSON.stringify(diffs)}`));

    it('reads every checkpoint tensor', () => {
      expect(run.unused).toEqual([]);
    });

    it('logits, every hidden state, every attention map', () => {
      const pairs = goldenPairs(run.arch);
      expect(pairs.length).toBe([...expected.keys()].filter((k) => k !== 'input_ids').length);
      for (const pair of pairs) expectGoldenMatch(run.outputs.get(pair.hook), expected.get(pair.golden), pair, diffs);
    });
  });
});
