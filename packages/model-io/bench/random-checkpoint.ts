import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeRawSafetensors, writeSafetensors, type RawTensorToWrite, type TensorToWrite } from '../src/index.js';

/**
 * Checkpoint shapes the benchmark uses (no downloads: random weights with the real models' shapes).
 * `llama2-7b` (BF16, 13.5 GB in 3 shards) and `tinyllama-1.1b` (BF16, GQA, 2.2 GB) are for layer
 * streaming; they are written on first use into the checkpoint cache (--dir), never by the tests.
 */
export type BenchModel = 'gpt2-small' | 'pythia-410m' | 'llama2-7b' | 'tinyllama-1.1b';
export const BENCH_MODELS: readonly BenchModel[] = ['gpt2-small', 'pythia-410m', 'llama2-7b', 'tinyllama-1.1b'];

export function parseBenchModel(value: string): BenchModel {
  if ((BENCH_MODELS as readonly string[]).includes(value)) return value as BenchModel;
  throw new Error(`unknown benchmark model '${value}' (valid: ${BENCH_MODELS.join(', ')})`);
}

/** Deterministic uniform values in [-a, a] (xorshift32): fast, and std a/sqrt(3). */
function randomTensor(name: string, shape: number[], seed: number, amplitude: number, centre = 0): TensorToWrite {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    data[i] = centre + amplitude * ((s / 4294967296) * 2 - 1);
  }
  return { name, shape, data };
}

/** std 0.02 (GPT-2's initializer range) as a uniform amplitude. */
const W = 0.02 * Math.sqrt(3);

function gpt2Small(): { config: Record<string, unknown>; tensors: (seed: () => number) => TensorToWrite[] } {
  const [d, L, V, P] = [768, 12, 50257, 1024]; // d_model, layers, vocabulary, positions
  const config = {
    model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_embd: d, n_layer: L, n_head: 12, n_positions: P, n_ctx: P,
    vocab_size: V, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, bos_token_id: 50256, eos_token_id: 50256, torch_dtype: 'float32',
  };
  const tensors = (seed: () => number): TensorToWrite[] => {
    const out = [randomTensor('transformer.wte.weight', [V, d], seed(), W), randomTensor('transformer.wpe.weight', [P, d], seed(), W)];
    for (let l = 0; l < L; l++) {
      const p = `transformer.h.${l}`;
      out.push(
        randomTensor(`${p}.ln_1.weight`, [d], seed(), 0.1, 1),
        randomTensor(`${p}.ln_1.bias`, [d], seed(), 0.05),
        randomTensor(`${p}.attn.c_attn.weight`, [d, 3 * d], seed(), W),
        randomTensor(`${p}.attn.c_attn.bias`, [3 * d], seed(), 0.05),
        randomTensor(`${p}.attn.c_proj.weight`, [d, d], seed(), W),
        randomTensor(`${p}.attn.c_proj.bias`, [d], seed(), 0.05),
        randomTensor(`${p}.ln_2.weight`, [d], seed(), 0.1, 1),
        randomTensor(`${p}.ln_2.bias`, [d], seed(), 0.05),
        randomTensor(`${p}.mlp.c_fc.weight`, [d, 4 * d], seed(), W),
        randomTensor(`${p}.mlp.c_fc.bias`, [4 * d], seed(), 0.05),
        randomTensor(`${p}.mlp.c_proj.weight`, [4 * d, d], seed(), W),
        randomTensor(`${p}.mlp.c_proj.bias`, [d], seed(), 0.05),
      );
    }
    out.push(randomTensor('transformer.ln_f.weight', [d], seed(), 0.1, 1), randomTensor('transformer.ln_f.bias', [d], seed(), 0.05));
    return out;
  };
  return { config, tensors };
}

function pythia410m(): { config: Record<string, unknown>; tensors: (seed: () => number) => TensorToWrite[] } {
  const [d, L, V, F] = [1024, 24, 50304, 4096]; // d_model, layers, vocabulary, MLP width
  const config = {
    model_type: 'gpt_neox', architectures: ['GPTNeoXForCausalLM'], hidden_size: d, num_hidden_layers: L, num_attention_heads: 16,
    intermediate_size: F, vocab_size: V, max_position_embeddings: 2048, rotary_pct: 0.25, rotary_emb_base: 10000,
    use_parallel_residual: true, hidden_act: 'gelu', layer_norm_eps: 1e-5, tie_word_embeddings: false, bos_token_id: 0, eos_token_id: 0, torch_dtype: 'float32',
  };
  const tensors = (seed: () => number): TensorToWrite[] => {
    const out = [randomTensor('gpt_neox.embed_in.weight', [V, d], seed(), W)];
    for (let l = 0; l < L; l++) {
      const p = `gpt_neox.layers.${l}`;
      out.push(
        randomTensor(`${p}.input_layernorm.weight`, [d], seed(), 0.1, 1),
        randomTensor(`${p}.input_layernorm.bias`, [d], seed(), 0.05),
        randomTensor(`${p}.post_attention_layernorm.weight`, [d], seed(), 0.1, 1),
        randomTensor(`${p}.post_attention_layernorm.bias`, [d], seed(), 0.05),
        randomTensor(`${p}.attention.query_key_value.weight`, [3 * d, d], seed(), W),
        randomTensor(`${p}.attention.query_key_value.bias`, [3 * d], seed(), 0.05),
        randomTensor(`${p}.attention.dense.weight`, [d, d], seed(), W),
        randomTensor(`${p}.attention.dense.bias`, [d], seed(), 0.05),
        randomTensor(`${p}.mlp.dense_h_to_4h.weight`, [F, d], seed(), W),
        randomTensor(`${p}.mlp.dense_h_to_4h.bias`, [F], seed(), 0.05),
        randomTensor(`${p}.mlp.dense_4h_to_h.weight`, [d, F], seed(), W),
        randomTensor(`${p}.mlp.dense_4h_to_h.bias`, [d], seed(), 0.05),
      );
    }
    out.push(
      randomTensor('gpt_neox.final_layer_norm.weight', [d], seed(), 0.1, 1),
      randomTensor('gpt_neox.final_layer_norm.bias', [d], seed(), 0.05),
      randomTensor('embed_out.weight', [V, d], seed(), W),
    );
    return out;
  };
  return { config, tensors };
}

/** Llama-layout sizes (config.json names in the comments). */
interface LlamaShape {
  readonly d: number; // hidden_size
  readonly layers: number; // num_hidden_layers
  readonly heads: number; // num_attention_heads
  readonly kvHeads: number; // num_key_value_heads
  readonly mlp: number; // intermediate_size
  readonly vocab: number; // vocab_size
  readonly positions: number; // max_position_embeddings
}

const LLAMA_SHAPES: Record<'llama2-7b' | 'tinyllama-1.1b', LlamaShape> = {
  'llama2-7b': { d: 4096, layers: 32, heads: 32, kvHeads: 32, mlp: 11008, vocab: 32000, positions: 4096 },
  'tinyllama-1.1b': { d: 2048, layers: 22, heads: 32, kvHeads: 4, mlp: 5632, vocab: 32000, positions: 2048 },
};

/** Shards of at most this many bytes (transformers' save_pretrained default max_shard_size, 5 GB). */
const MAX_SHARD_BYTES = 5e9;
/** Values generated per chunk while writing a BF16 tensor. */
const CHUNK_VALUES = 1 << 22;

/** Deterministic uniform BF16 values in [centre - a, centre + a] (xorshift32, truncated float32), chunk by chunk. */
function* randomBf16(count: number, seed: number, amplitude: number, centre: number): Generator<Uint8Array> {
  let s = (seed * 2654435761) >>> 0 || 1;
  const f = new Float32Array(1);
  const bits = new Uint32Array(f.buffer);
  for (let start = 0; start < count; start += CHUNK_VALUES) {
    const out = new Uint16Array(Math.min(CHUNK_VALUES, count - start));
    for (let i = 0; i < out.length; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      f[0] = centre + amplitude * ((s / 4294967296) * 2 - 1);
      out[i] = bits[0] >>> 16;
    }
    yield new Uint8Array(out.buffer);
  }
}

function llamaBf16(shape: LlamaShape): { config: Record<string, unknown>; tensors: (seed: () => number) => RawTensorToWrite[] } {
  const { d, layers, heads, kvHeads, mlp, vocab, positions } = shape;
  const hd = d / heads;
  const config = {
    model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_size: d, num_hidden_layers: layers, num_attention_heads: heads,
    num_key_value_heads: kvHeads, intermediate_size: mlp, vocab_size: vocab, max_position_embeddings: positions, hidden_act: 'silu',
    rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2, torch_dtype: 'bfloat16',
  };
  const tensors = (seed: () => number): RawTensorToWrite[] => {
    const t = (name: string, dims: number[], amplitude = W, centre = 0): RawTensorToWrite => {
      const s = seed();
      return { name, shape: dims, dtype: 'BF16', chunks: () => randomBf16(dims.reduce((a, b) => a * b, 1), s, amplitude, centre) };
    };
    const out = [t('model.embed_tokens.weight', [vocab, d])];
    for (let l = 0; l < layers; l++) {
      const p = `model.layers.${l}`;
      out.push(
        t(`${p}.input_layernorm.weight`, [d], 0.1, 1),
        t(`${p}.self_attn.q_proj.weight`, [heads * hd, d]),
        t(`${p}.self_attn.k_proj.weight`, [kvHeads * hd, d]),
        t(`${p}.self_attn.v_proj.weight`, [kvHeads * hd, d]),
        t(`${p}.self_attn.o_proj.weight`, [d, heads * hd]),
        t(`${p}.post_attention_layernorm.weight`, [d], 0.1, 1),
        t(`${p}.mlp.gate_proj.weight`, [mlp, d]),
        t(`${p}.mlp.up_proj.weight`, [mlp, d]),
        t(`${p}.mlp.down_proj.weight`, [d, mlp]),
      );
    }
    out.push(t('model.norm.weight', [d], 0.1, 1), t('lm_head.weight', [vocab, d]));
    return out;
  };
  return { config, tensors };
}

/** Write BF16 tensors as `model-0000K-of-0000N.safetensors` shards of at most MAX_SHARD_BYTES, plus the index. */
function writeSharded(dir: string, tensors: readonly RawTensorToWrite[]): void {
  const shards: RawTensorToWrite[][] = [[]];
  let bytes = 0;
  let total = 0;
  for (const t of tensors) {
    const size = 2 * t.shape.reduce((a, b) => a * b, 1);
    if (bytes + size > MAX_SHARD_BYTES && shards.at(-1)!.length > 0) {
      shards.push([]);
      bytes = 0;
    }
    shards.at(-1)!.push(t);
    bytes += size;
    total += size;
  }
  const n = String(shards.length).padStart(5, '0');
  const weightMap: Record<string, string> = {};
  shards.forEach((shard, i) => {
    const file = `model-${String(i + 1).padStart(5, '0')}-of-${n}.safetensors`;
    process.stderr.write(`  writing ${join(dir, file)} (${shard.length} tensors)\n`);
    writeRawSafetensors(join(dir, file), shard, { format: 'pt', note: 'sinkscope benchmark: random weights' });
    for (const t of shard) weightMap[t.name] = file;
  });
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
}

/**
 * Write (once; reused when present) a random-weight checkpoint with the model's real shapes:
 * config.json + model.safetensors (F32), or BF16 shards + index for the llama shapes. Returns its folder.
 */
export function ensureRandomCheckpoint(root: string, model: BenchModel): string {
  const dir = join(root, model);
  const isLlama = model === 'llama2-7b' || model === 'tinyllama-1.1b';
  const { config } = isLlama ? llamaBf16(LLAMA_SHAPES[model]) : model === 'gpt2-small' ? gpt2Small() : pythia410m();
  const configText = JSON.stringify(config, null, 2);
  const configPath = join(dir, 'config.json');
  const weights = join(dir, isLlama ? 'model.safetensors.index.json' : 'model.safetensors');
  if (existsSync(weights) && existsSync(configPath) && readFileSync(configPath, 'utf8') === configText) return dir;
  rmSync(dir, { recursive: true, force: true }); // a stale or half-written checkpoint
  mkdirSync(dir, { recursive: true });
  let seed = 1;
  if (isLlama) writeSharded(dir, llamaBf16(LLAMA_SHAPES[model]).tensors(() => seed++));
  else writeSafetensors(join(dir, 'model.safetensors'), (model === 'gpt2-small' ? gpt2Small() : pythia410m()).tensors(() => seed++), { format: 'pt', note: 'sinkscope benchmark: random weights' });
  writeFileSync(configPath, configText); // last: a checkpoint without config.json is rewritten next time
  return dir;
}
