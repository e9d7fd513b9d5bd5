import { describe, expect, it } from 'vitest';
import { hiddenStateHooks, readSafetensors, type ArchSpec, type HookName, type HostTensor } from '../src/index.js';
import { checkReadmeRow, parityOutDir, PARITY_TOLERANCE, readReadme, summarizeParity, writeParityFigures, type ParitySuiteId } from '../src/testing/index.js';
import { fixtureDir, scaledMaxDiff } from './fixtures.js';

/** Max |diff| / max(1, max |expected|) allowed against the `transformers` golden outputs (float32): 5e-6. */
export { PARITY_TOLERANCE };

/** A fixture's golden outputs (expected.safetensors) and the token ids they were computed from, as sequences. */
export function goldenRun(fixture: string, dir = fixtureDir(fixture)): { expected: ReadonlyMap<string, HostTensor>; sequences: number[][]; seqLen: number } {
  const expected = readSafetensors(`${dir}/expected.safetensors`).tensors;
  const ids = expected.get('input_ids')!;
  const [batch, seqLen] = ids.shape;
  return { expected, sequences: Array.from({ length: batch }, (_, b) => Array.from(ids.data.subarray(b * seqLen, (b + 1) * seqLen))), seqLen };
}

/** A golden tensor of expected.safetensors and the hook that must reproduce it. */
export interface GoldenPair {
  readonly golden: string;
  readonly hook: HookName;
  /** What an assertion failure names. */
  readonly label: string;
}

/** Every hidden state (transformers convention: embeddings, then each block's output). */
export function hiddenStatePairs(arch: ArchSpec): GoldenPair[] {
  return hiddenStateHooks(arch).map((hook, i) => ({ golden: `hidden_states.${i}`, hook, label: `hidden_states.${i} (${hook})` }));
}

/** Every attention map. */
export function attentionPairs(arch: ArchSpec): GoldenPair[] {
  return Array.from({ length: arch.nLayers }, (_, l) => ({ golden: `attentions.${l}`, hook: `blocks.${l}.attn.hook_pattern` as HookName, label: `attentions.${l}` }));
}

/**
 * One captured tensor against its golden tensor: same shape, scaled max |diff| within tolerance. The
 * diff is recorded in `diffs` under the golden name, for the summary each parity suite prints.
 */
export function expectGoldenMatch(
  got: { shape: readonly number[]; data: ArrayLike<number> } | undefined,
  want: { shape: readonly number[]; data: ArrayLike<number> } | undefined,
  pair: Pick<GoldenPair, 'golden' | 'label'>,
  diffs: Record<string, number>,
): void {
  expect(got, `${pair.label}: not captured`).toBeDefined();
  expect(want, `${pair.golden}: not in expected.safetensors`).toBeDefined();
  expect(got!.shape).toEqual(want!.shape);
  diffs[pair.golden] = scaledMaxDiff(got!.data as Float32Array, want!.data as Float32Array);
  expect(diffs[pair.golden], pair.label).toBeLessThanOrEqual(PARITY_TOLERANCE);
}

/**
 * The suite's last test: its worst diff over every fixture is what the root README's parity table
 * states (in generation mode, SINKSCOPE_PARITY_OUT, it writes the figures for the README instead).
 * `diffs` is filled by the fixture tests before it runs: {fixture: {tensor: diff}}.
 */
export function describeReadmeParity(suite: ParitySuiteId, diffs: Record<string, Record<string, number>>, fixtureCount: number): void {
  describe(`README parity figures (${suite})`, () => {
    it('the README states the worst diff this suite measured', () => {
      const figures = summarizeParity(suite, diffs);
      console.log(`${suite}: worst scaled max |diff| ${figures.worst} (${figures.where}) over ${figures.fixtures} fixtures, ${figures.tensors} tensors`);
      expect(figures.fixtures, 'every fixture measured before the README check').toBe(fixtureCount);
      if (parityOutDir() !== undefined) writeParityFigures(figures);
      else expect(checkReadmeRow(readReadme(), figures)).toBeUndefined();
    });
  });
}
