import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfjsModel, type ArchSpec, type HookName, type HostArray } from '../../src/index.js';
import { OnnxModel } from '../../src/engines/onnx/index.js';
import { tracedWeightBytes } from '../onnx/traced-bytes.js';
import { extraFixtureDir, extraFixtureNames } from '../../src/testing/index.js';
import type { ParitySuiteId } from '../../src/testing/index.js';
import { attentionPairs, describeReadmeParity, expectGoldenMatch, goldenRun, hiddenStatePairs, type GoldenPair } from '../golden-parity.js';

/** The hf-extra fixtures (float64 reference of transformers v4.57.1, test/fixtures/hf-extra/README.md). */
const FIXTURES = extraFixtureNames();

/** Every golden tensor of a fixture with the hook that must reproduce it (MoE: the router probabilities of every layer). */
function goldenPairs(arch: ArchSpec): GoldenPair[] {
  const router: GoldenPair[] = arch.moe
    ? Array.from({ length: arch.nLayers }, (_, l) => ({ golden: `router_probs.${l}`, hook: `blocks.${l}.mlp.hook_router_probs` as HookName, label: `router_probs.${l}` }))
    : [];
  return [{ golden: 'logits', hook: 'logits', label: 'logits' }, ...hiddenStatePairs(arch), ...attentionPairs(arch), ...router];
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

/** The README parity row each engine's figures go to. */
const SUITES = { tfjs: 'tfjsExtra', onnx: 'onnxExtra', 'onnx streaming': 'onnxStreamingExtra' } as const satisfies Record<Engine, ParitySuiteId>;

for (const engine of ['tfjs', 'onnx', 'onnx streaming'] as const) {
  /** Every fixture's diffs, for the README check at the end: {fixture: {tensor: diff}}. */
  const allDiffs: Record<string, Record<string, number>> = {};

  describe.each(FIXTURES)(`${engine} engine matches the v4.57.1 reference: %s`, (fixture) => {
    const dir = extraFixtureDir(fixture);
    const { expected, sequences } = goldenRun(fixture, dir);
    let run: Awaited<ReturnType<typeof runEngine>>;
    const diffs: Record<string, number> = {};
    allDiffs[fixture] = diffs;

    beforeAll(async () => {
      run = await runEngine(engine, dir, sequences, (arch) => goldenPairs(arch).map((p) => p.hook));
    });
    afterAll(() => console.log(`${fixture} (${engine}): max scaled |diff| ${JSON.stringify(diffs)}`));

    it('reads every checkpoint tensor', () => {
      expect(run.unused).toEqual([]);
    });

    it('logits, every hidden state, every attention map (and MoE router probabilities)', () => {
      const pairs = goldenPairs(run.arch);
      expect(pairs.length, 'every golden tensor is compared').toBe([...expected.keys()].filter((k) => k !== 'input_ids').length);
      for (const pair of pairs) expectGoldenMatch(run.outputs.get(pair.hook), expected.get(pair.golden), pair, diffs);
    });
  });

  describeReadmeParity(SUITES[engine], allDiffs, FIXTURES.length);
}

describe('the traced graph of every hf-extra fixture holds every checkpoint weight exactly once', () => {
  it.each(FIXTURES)('%s: external data = every checkpoint tensor as stored (BF16 cast in the graph; a tied LM head reuses the embedding)', (fixture) => {
    const bytes = tracedWeightBytes(extraFixtureDir(fixture));
    expect(bytes.graph).toBe(bytes.checkpoint);
    expect(bytes.embedded).toBe(0);
  });
});
