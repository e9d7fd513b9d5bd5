import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `../shared/fixtures/hf` beside the repository: tiny checkpoints with golden `transformers` outputs. */
export const FIXTURES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures/hf');

export function fixtureNames(): string[] {
  if (!existsSync(FIXTURES_DIR)) throw new Error(`shared fixtures not found at ${FIXTURES_DIR}`);
  return readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(FIXTURES_DIR, d.name, 'expected.safetensors')))
    .map((d) => d.name)
    .sort();
}

export function fixtureDir(name: string): string {
  return join(FIXTURES_DIR, name);
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
