import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '@sinkscope/model-io';
import { FIXTURES_DIR } from '@sinkscope/model-io/testing';

/** The shared golden fixtures (`../shared/fixtures/hf` beside the repository). */
export const FIXTURES = FIXTURES_DIR;

/** Where the planted fixture puts things (GPT-2 layout, d = 64, Conv1D weights [in, out]). */
export const PLANTED = {
  layers: 6,
  /** Block whose MLP writes the massive activation (hidden state 2). */
  massiveBlock: 1,
  /** Residual dim carrying the first-token-only signal (position embedding 0). */
  signalDim: 5,
  /** The dims the massive activation is written into, and how large (per unit of the MLP unit's output). */
  massiveDims: [17, 42] as const,
  massiveWeights: [60, -40] as const,
  /** Blocks whose queries get a bias towards the massive key (attention sinks downstream). */
  sinkBlocks: [2, 3, 4, 5] as const,
} as const;

/**
 * A 6-block GPT-2 with a PLANTED first-token massive activation: blocks 3..5 copy blocks 0..2 of the
 * shared `gpt2` fixture; residual dim `signalDim` holds 1.5 at position 0 only (wpe[0]; wte and
 * wpe[1..] are 0 there, and blocks 0 and 1's attention and block 0's MLP write nothing into it);
 * block 1's MLP unit 0 reads only that dim (weight 5, bias -10: on at position 0, about gelu(-10) = 0
 * elsewhere) and writes 60 / -40 per unit into dims 17 / 42, about +700 / -460 at the first token.
 * Blocks 2..5 get a query bias along the key of that massive vector, so their heads sink onto the
 * first token while (and only while) it carries the massive activation.
 */
export function writePlantedGpt2(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const src = join(FIXTURES, 'gpt2');
  const { tensors } = readSafetensors(join(src, 'model.safetensors'));
  const w = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of tensors) w.set(name, { shape: [...t.shape], data: Float32Array.from(t.data as Float32Array) });
  const d = 64;
  // blocks 3..5 = copies of 0..2
  for (const [name, t] of [...w]) {
    const m = /^transformer\.h\.(\d+)\.(.*)$/.exec(name);
    if (m) w.set(`transformer.h.${Number(m[1]) + 3}.${m[2]}`, { shape: t.shape, data: Float32Array.from(t.data) });
  }
  const get = (name: string) => {
    const t = w.get(name);
    if (!t) throw new Error(`planted fixture: no tensor ${name}`);
    return t.data;
  };
  const s = PLANTED.signalDim;
  const wte = get('transformer.wte.weight');
  for (let v = 0; v < 512; v++) wte[v * d + s] = 0;
  const wpe = get('transformer.wpe.weight');
  for (let p = 0; p < 128; p++) wpe[p * d + s] = p === 0 ? 1.5 : 0;
  const silence = (block: number, part: 'attn' | 'mlp', rows: number) => {
    const weight = get(`transformer.h.${block}.${part}.c_proj.weight`);
    for (let r = 0; r < rows; r++) weight[r * d + s] = 0;
    get(`transformer.h.${block}.${part}.c_proj.bias`)[s] = 0;
  };
  silence(0, 'attn', d);
  silence(0, 'mlp', 256);
  silence(1, 'attn', d);
  // block 1's MLP unit 0: reads the signal dim only, writes the massive vector
  const b = PLANTED.massiveBlock;
  const fc = get(`transformer.h.${b}.mlp.c_fc.weight`); // [64, 256]
  for (let r = 0; r < d; r++) fc[r * 256] = r === s ? 5 : 0;
  get(`transformer.h.${b}.mlp.c_fc.bias`)[0] = -10;
  get(`transformer.h.${b}.ln_2.weight`)[s] = 1;
  get(`transformer.h.${b}.ln_2.bias`)[s] = 0;
  const proj = get(`transformer.h.${b}.mlp.c_proj.weight`); // [256, 64]; row 0 = unit 0's output
  for (let c = 0; c < d; c++) proj[c] = 0;
  PLANTED.massiveDims.forEach((dim, i) => (proj[dim] = PLANTED.massiveWeights[i]));
  // downstream query bias along each head's key of the (layer-normed) massive direction
  const direction = new Float64Array(d);
  PLANTED.massiveDims.forEach((dim, i) => (direction[dim] = PLANTED.massiveWeights[i]));
  for (const block of PLANTED.sinkBlocks) {
    const gain = get(`transformer.h.${block}.ln_1.weight`);
    const beta = get(`transformer.h.${block}.ln_1.bias`);
    const mean = direction.reduce((a, x) => a + x, 0) / d;
    const std = Math.sqrt(direction.reduce((a, x) => a + (x - mean) ** 2, 0) / d);
    const u = Array.from(direction, (x, c) => ((x - mean) / std) * gain[c] + beta[c]);
    const attn = get(`transformer.h.${block}.attn.c_attn.weight`); // [64, 192] = [q | k | v]
    const bias = get(`transformer.h.${block}.attn.c_attn.bias`);
    for (let h = 0; h < 4; h++) {
      const key = Array.from({ length: 16 }, (_, j) => u.reduce((a, x, c) => a + x * attn[c * 192 + 64 + h * 16 + j], 0) + bias[64 + h * 16 + j]);
      const norm = Math.hypot(...key);
      for (let j = 0; j < 16; j++) bias[h * 16 + j] = (12 * key[j]) / norm;
    }
  }
  const out: TensorToWrite[] = [...w].sort(([a], [b2]) => a.localeCompare(b2)).map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
  writeSafetensors(join(dir, 'model.safetensors'), out, { format: 'pt' });
  const config = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, n_layer: PLANTED.layers }, null, 2));
  copyFileSync(join(src, 'generation_config.json'), join(dir, 'generation_config.json'));
  return dir;
}

/** `count` sequences of `len` tokens: BOS (511) then seeded random ids, as the fixtures' inputs. */
export function plantedSequences(count: number, len: number, seed = 1): number[][] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a * 1664525 + 1013904223) >>> 0;
    return a / 4294967296;
  };
  return Array.from({ length: count }, () => [511, ...Array.from({ length: len - 1 }, () => Math.floor(rand() * 511))]);
}
