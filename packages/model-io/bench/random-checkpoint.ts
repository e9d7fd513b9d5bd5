import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../src/index.js';

/** Checkpoint shapes the benchmark uses (no downloads: random weights with the real models' shapes). */
export type BenchModel = 'gpt2-small' | 'pythia-410m';
export const BENCH_MODELS: readonly BenchModel[] = ['gpt2-small', 'pythia-410m'];

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

/**
 * Write (once; reused when present) a random-weight checkpoint with the model's real shapes:
 * config.json + model.safetensors. Returns its folder.
 */
export function ensureRandomCheckpoint(root: string, model: BenchModel): string {
  const dir = join(root, model);
  const { config, tensors } = model === 'gpt2-small' ? gpt2Small() : pythia410m();
  const configText = JSON.stringify(config, null, 2);
  const configPath = join(dir, 'config.json');
  if (existsSync(join(dir, 'model.safetensors')) && existsSync(configPath) && readFileSync(configPath, 'utf8') === configText) return dir;
  mkdirSync(dir, { recursive: true });
  let seed = 1;
  writeSafetensors(join(dir, 'model.safetensors'), tensors(() => seed++), { format: 'pt', note: 'sinkscope benchmark: random weights' });
  writeFileSync(configPath, configText);
  return dir;
}
