import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../safetensors/file.js';

/**
 * Test helpers over the shared golden fixtures (`../shared/fixtures/hf` beside the repository: tiny
 * checkpoints with the outputs and metrics `transformers` computed), shared by every package's tests
 * through the `@sinkscope/model-io/testing` entry point (not part of the main API).
 */

/** The shared golden fixtures: `../shared/fixtures/hf` seen from the repository root. */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../../../shared/fixtures/hf/', import.meta.url));

/** Every fixture folder with expected metrics; throws if there are none (a silent pass would hide it). */
export function fixtureNames(): string[] {
  if (!existsSync(FIXTURES_DIR)) throw new Error(`fixtures not found at ${FIXTURES_DIR}`);
  const names = readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(FIXTURES_DIR, e.name, 'expected_metrics.json')))
    .map((e) => e.name)
    .sort();
  if (names.length === 0) throw new Error(`no fixture folders with expected_metrics.json in ${FIXTURES_DIR}`);
  return names;
}

export interface Fixture {
  name: string;
  metrics: Record<string, unknown> & {
    num_sequences: number;
    seq_len: number;
    num_layers: number;
    num_heads: number;
  };
  /** attentions[l]: Float32Array [S, H, T, T]. */
  attentions: Float32Array[];
  /** hiddenStates[i]: Float32Array [S, T, d]. */
  hiddenStates: Float32Array[];
  dim: number;
}

export function loadFixture(name: string): Fixture {
  const dir = join(FIXTURES_DIR, name);
  const metrics = JSON.parse(readFileSync(join(dir, 'expected_metrics.json'), 'utf8')) as Fixture['metrics'];
  const { tensors } = readSafetensors(join(dir, 'expected.safetensors'));
  const float = (key: string) => {
    const t = tensors.get(key);
    if (!t || !(t.data instanceof Float32Array)) throw new Error(`${name}: no float tensor ${key}`);
    return t;
  };
  const attentions = Array.from({ length: metrics.num_layers }, (_, l) => float(`attentions.${l}`).data as Float32Array);
  const hidden = Array.from({ length: metrics.num_layers + 1 }, (_, i) => float(`hidden_states.${i}`));
  return { name, metrics, attentions, hiddenStates: hidden.map((t) => t.data as Float32Array), dim: hidden[0].shape[2] };
}

/** |actual - expected| <= rel * |expected| (or <= rel when expected is 0), with a message naming the value. */
export function closeRel(actual: number, expected: number, rel: number, what: string): void {
  const err = Math.abs(actual - expected);
  const scale = Math.max(Math.abs(expected), expected === 0 ? 1 : 0);
  if (!(err <= rel * scale)) throw new Error(`${what}: got ${actual}, expected ${expected} (relative error ${err / scale} > ${rel})`);
}

/** Every fixture folder with golden outputs (expected.safetensors). */
export function parityFixtureNames(): string[] {
  if (!existsSync(FIXTURES_DIR)) throw new Error(`shared fixtures not found at ${FIXTURES_DIR}`);
  return readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(FIXTURES_DIR, d.name, 'expected.safetensors')))
    .map((d) => d.name)
    .sort();
}

export function fixtureDir(name: string): string {
  return join(FIXTURES_DIR, name);
}

/**
 * The in-repo fixtures for the families transformers v4.44.2 lacks (rope_scaling types, bloom, gemma2/3,
 * phi3, qwen3, olmo2, mixtral, sliding windows): the same file layout as the shared ones, with expected
 * outputs from the float64 reference in `tools/reference` (see `test/fixtures/hf-extra/README.md`).
 */
export const EXTRA_FIXTURES_DIR = fileURLToPath(new URL('../../test/fixtures/hf-extra/', import.meta.url));

/** Every hf-extra fixture folder with golden outputs; throws if there are none. */
export function extraFixtureNames(): string[] {
  const names = existsSync(EXTRA_FIXTURES_DIR)
    ? readdirSync(EXTRA_FIXTURES_DIR, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(EXTRA_FIXTURES_DIR, d.name, 'expected.safetensors')))
        .map((d) => d.name)
        .sort()
    : [];
  if (names.length === 0) throw new Error(`no fixture folders with expected.safetensors in ${EXTRA_FIXTURES_DIR}`);
  return names;
}

export function extraFixtureDir(name: string): string {
  return join(EXTRA_FIXTURES_DIR, name);
}

/** max |a - b| / max(1, max |b|): large-norm tensors are judged relative to their scale. */
export function scaledMaxDiff(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs expected ${expected.length}`);
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
  }
  return maxDiff / Math.max(1, maxAbs);
}
