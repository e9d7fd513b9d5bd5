import { SeededRandom } from '@sinkscope/datasets';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArtifactMetadataInput, type ArtifactStore, buildArtifactMetadata, type ColumnsOf, hashInputs, LAYERS } from '../../src/index.js';

/** A fresh cache folder under the OS temp dir; remove it with `rmSync(root, { recursive: true })`. */
export function tempRoot(label: string): string {
  return mkdtempSync(join(tmpdir(), `sinkscope-${label}-`));
}

/**
 * A fresh, unique cache folder path that is not created yet (the store creates it on first write), so
 * a test file whose tests are all filtered out leaves nothing behind.
 */
export function plannedRoot(label: string): string {
  return join(tmpdir(), `sinkscope-${label}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

export function removeRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/** A distinct artifact key per label. */
export function keyOf(label: string): string {
  return hashInputs({ test: label });
}

/** Complete metadata for a `layers` artifact. */
export function layersMetadata(extra: ArtifactMetadataInput['extra'] = {}): Map<string, string> {
  return buildArtifactMetadata({
    kind: 'layers',
    specHash: hashInputs({ spec: 'test' }),
    model: 'gpt2',
    dataset: 'fixture-3x17',
    bosPolicy: 'prepend-bos',
    engine: 'onnx',
    backend: 'cpu',
    versions: { '@sinkscope/artifacts': '0.1.0', 'apache-arrow': '21.2.0' },
    extra: { seq_len: 17, eps: 0.3, ...extra },
  });
}

/** Deterministic pseudo-random numbers in [0, 1). */
export function random(seed: number): () => number {
  const r = SeededRandom.mulberry32(seed);
  return () => r.nextUnit();
}

/** `n` rows of `layers` columns whose values depend on `seed` (NaN sink rate at hidden_index 0). */
export function layersColumns(n: number, seed: number, model = 'gpt2'): ColumnsOf<typeof LAYERS> {
  const r = random(seed);
  const f32 = (f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));
  return {
    model: Array.from({ length: n }, () => model),
    hidden_index: Int32Array.from({ length: n }, (_, i) => i),
    layer: Int32Array.from({ length: n }, (_, i) => i - 1),
    sink_rate: f32((i) => (i === 0 ? NaN : r())),
    first_token_norm: f32(() => 100 * r()),
    other_tokens_mean_norm: f32(() => 10 * r()),
    norm_ratio: f32(() => 10 * r()),
    top_activation: f32(() => 1000 * r()),
    median_activation: f32(() => r()),
    entropy: f32(() => 3 * r()),
    entropy_normalized: f32(() => r()),
    renyi2: f32(() => 2 * r()),
    entropy_bound: f32(() => 3 * r()),
    entropy_bound_alpha0: f32(() => 3 * r()),
    mean_cosine: f32(() => r() - 0.5),
    seq_len: Int32Array.from({ length: n }, () => 17),
    relative_depth: f32((i) => i / Math.max(1, n - 1)),
    transition: Array.from({ length: n }, (_, i) => i === 1),
    phase: Array.from({ length: n }, (_, i) => (i === 0 ? 'mix' : i === n - 1 ? 'refine' : 'compress')),
    p1: f32(() => r()),
    p1_lower: f32(() => r()),
    dominance: f32(() => 10 * r()),
    dominance_lower: f32(() => 5 * r()),
    alignment: f32(() => r()),
    c: f32(() => r()),
    entropy_upper: f32(() => 3 * r()),
    entropy_rank_normalized: f32(() => r()),
    entropy_upper_rank_normalized: f32(() => r()),
    mixing_score: f32((i) => (i === 0 ? NaN : r())),
    identity_score: f32((i) => (i === 0 ? NaN : r())),
    prev_token_score: f32((i) => (i === 0 ? NaN : r())),
    bos_score: f32((i) => (i === 0 ? NaN : r())),
    logit_lens_loss: f32(() => 4 * r()),
    logit_lens_perplexity: f32(() => 50 * r()),
  };
}

/** Every file under `dir`, relative, sorted (none if `dir` does not exist). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${name}/`);
      else out.push(`${prefix}${name}`);
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out.sort();
}

/** A warn function that records what it is given. */
export function recordWarnings(): { warn: (m: string) => void; messages: string[] } {
  const messages: string[] = [];
  return { warn: (m) => messages.push(m), messages };
}

/** Rewrite `key` `iterations` times, each version two batches tagged by writer and round (the cross-process tests' writers). */
export async function rewriteLoop(store: ArtifactStore, key: string, writerId: number, iterations: number): Promise<void> {
  for (let i = 0; i < iterations; i++) {
    const tag = writerId * 1000 + i;
    await store.write('layers', key, LAYERS.schema, layersMetadata({ tag }), (w) => {
      w.append(layersColumns(40, tag, `writer-${tag}`));
      w.append(layersColumns(40, tag, `writer-${tag}`));
    });
  }
}
