import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../safetensors/index.js';

/**
 * Tiny `model_type: "sinkscope"` checkpoints with random weights, for tests of the variants in
 * model-io and the pipelines (the names and layouts of families/sinkscope-trainer.ts).
 */

/** A sinkscope config.json's fields (GPT-2 sizes plus the variant fields of the sinkscope adapter). */
export type SinkscopeTestConfig = Record<string, unknown> & {
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_inner: number;
};

type Tensors = ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;

/** Deterministic standard normal draws for test weights (mulberry32 + Box-Muller). */
export function seededNormal(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** The tensor names and shapes a sinkscope checkpoint of `config` holds (GPT-2 layout, Conv1D [in, out]). */
export function tensorShapes(c: SinkscopeTestConfig): [string, number[]][] {
  const d = c.n_embd;
  const bias = c.linear_bias !== false;
  const ln = c.norm_type !== 'rmsnorm';
  const out: [string, number[]][] = [['transformer.wte.weight', [c.vocab_size, d]]];
  const norm = (p: string) => out.push([`${p}.weight`, [d]], ...(ln ? [[`${p}.bias`, [d]] as [string, number[]]] : []));
  const linear = (p: string, i: number, o: number) => out.push([`${p}.weight`, [i, o]], ...(bias ? [[`${p}.bias`, [o]] as [string, number[]]] : []));
  if ((c.position_encoding ?? 'learned') === 'learned') out.push(['transformer.wpe.weight', [c.n_positions, d]]);
  if (c.learnable_sink_token) out.push(['transformer.sink_token', [d]]);
  for (let l = 0; l < c.n_layer; l++) {
    const p = `transformer.h.${l}`;
    if (!((c.attention_free_layers as number[] | undefined) ?? []).includes(l)) {
      norm(`${p}.ln_1`);
      linear(`${p}.attn.c_attn`, d, 3 * d);
      linear(`${p}.attn.c_proj`, d, d);
      if (c.kv_bias === 'kv' || c.kv_bias === 'k') out.push([`${p}.attn.sink_k`, [d]]);
      if (c.kv_bias === 'kv' || c.kv_bias === 'v') out.push([`${p}.attn.sink_v`, [d]]);
    }
    if (!((c.mlp_free_layers as number[] | undefined) ?? []).includes(l)) {
      norm(`${p}.ln_2`);
      if (c.gated_mlp) linear(`${p}.mlp.c_gate`, d, c.n_inner);
      linear(`${p}.mlp.c_fc`, d, c.n_inner);
      linear(`${p}.mlp.c_proj`, c.n_inner, d);
    }
  }
  norm('transformer.ln_f');
  if (c.tie_word_embeddings === false) out.push(['lm_head.weight', [c.vocab_size, d]]);
  return out;
}

/** Write a checkpoint folder with random weights (std `std`; norm gains around 1) and return its tensors. */
export function writeSinkscopeCheckpoint(dir: string, config: SinkscopeTestConfig, seed: number, std = 0.5): Tensors {
  const next = seededNormal(seed);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of tensorShapes(config)) {
    const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (/ln_.*\.weight$/.test(name) ? 1 + 0.2 * next() : std * next()));
    tensors.set(name, { shape, data });
  }
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'model.safetensors'), [...tensors].map(([name, t]): TensorToWrite => ({ name, shape: t.shape, data: t.data })));
  const json = { architectures: ['SinkscopeLMHeadModel'], model_type: 'sinkscope', n_ctx: config.n_positions, layer_norm_epsilon: 1e-5, bos_token_id: 0, eos_token_id: 0, ...config };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(json));
  return tensors;
}

