import { sublayerNormsOf, type ArchSpec } from '../arch-spec.js';
import type { ConfigReader } from '../config/config-reader.js';
import { addScalar, type HostArray } from '../host-array.js';
import type { LayerWeights, Norm } from '../weights.js';
import { attentionProjections, embeddingTables, fusedRowBlocks, lmHeadFrom, mlpProjections, torchLinear, torchNorm, type FamilyAdapter, type WeightReader } from './adapter.js';

/** How a Llama-layout checkpoint stores what its ArchSpec does not say. */
export interface DecoderWeightLayout {
  /** Gemma: RMSNorm gains stored zero-centred, x_hat * (1 + w) (folded in at load). */
  readonly zeroCentredNorms?: boolean;
  /** Phi-3: one qkv_proj with rows [q | k | v] and one gate_up_proj with rows [gate | up]. */
  readonly fused?: boolean;
}

/**
 * A family adapter for the Llama layout (`model.embed_tokens`, `model.layers.{l}`, `model.norm`,
 * `lm_head`), shared by llama, mistral, mixtral, qwen2, qwen3, olmo2, gemma, gemma2, gemma3_text and
 * phi3: which weights a layer has follows from the ArchSpec (norm placement, q/k norms, MoE), the
 * names from transformers' modules (v4.57.1 modeling_<family>.py):
 * - input norms `input_layernorm`, then `post_attention_layernorm` before the MLP, except where
 *   sublayer outputs are normed (Gemma 2/3, OLMo 2): there `post_attention_layernorm` and
 *   `post_feedforward_layernorm` norm the outputs and `pre_feedforward_layernorm` the MLP input;
 * - `self_attn.{q,k,v,o}_proj` (Phi-3: `qkv_proj`), `self_attn.{q,k}_norm`;
 * - `mlp.{gate,up,down}_proj` (Phi-3: `gate_up_proj`), or `block_sparse_moe.gate` and
 *   `block_sparse_moe.experts.{e}.w1|w3|w2` (gate, up, down).
 */
export function decoderAdapter(modelTypes: readonly string[], summary: string, archFromConfig: (c: ConfigReader, modelType: string) => ArchSpec, layout: DecoderWeightLayout = {}): FamilyAdapter {
  const norm = (r: WeightReader, name: string, width: number): Norm<HostArray> => {
    const n = torchNorm(r, name, width, false);
    return layout.zeroCentredNorms ? { g: addScalar(n.g, 1) } : n;
  };
  return {
    modelTypes,
    summary,
    archFromConfig: (c) => archFromConfig(c, c.string('model_type')),
    embeddings: embeddingTables('model.embed_tokens.weight'),
    layer(a, r, l) {
      const p = `model.layers.${l}`;
      const d = a.dModel;
      const norms = sublayerNormsOf(a);
      const layer: LayerWeights<HostArray> = {
        ...(norms.input
          ? { ln1: norm(r, `${p}.input_layernorm`, d), ln2: norm(r, norms.output ? `${p}.pre_feedforward_layernorm` : `${p}.post_attention_layernorm`, d) }
          : {}),
        ...(norms.output ? { postAttnNorm: norm(r, `${p}.post_attention_layernorm`, d), postMlpNorm: norm(r, `${p}.post_feedforward_layernorm`, d) } : {}),
        ...attentionWeights(r, a, `${p}.self_attn`, layout),
        ...qkNorms(r, a, `${p}.self_attn`, norm),
        ...mlpWeights(r, a, p, layout),
      };
      return layer;
    },
    head(a, r) {
      return { lnFinal: norm(r, 'model.norm', a.dModel), lmHead: lmHeadFrom(r, a, 'lm_head.weight', 'model.embed_tokens.weight') };
    },
  };
}

function attentionWeights(r: WeightReader, a: ArchSpec, prefix: string, layout: DecoderWeightLayout): Pick<LayerWeights<HostArray>, 'q' | 'k' | 'v' | 'o'> {
  if (!layout.fused) return attentionProjections(r, a, prefix, ['q_proj', 'k_proj', 'v_proj', 'o_proj']);
  const qDim = a.nHeads * a.headDim;
  const kvDim = a.nKvHeads * a.headDim;
  // Phi3Attention: qkv_proj output [q (H hd) | k (Hkv hd) | v (Hkv hd)]
  const [q, k, v] = fusedRowBlocks(r, `${prefix}.qkv_proj`, a.dModel, [qDim, kvDim, kvDim], a.bias.qkv);
  return { q, k, v, o: torchLinear(r, `${prefix}.o_proj`, qDim, a.dModel, a.bias.attnOut) };
}

/** q_norm / k_norm: gains over head_dim (per head) or over the whole q / k projection. */
function qkNorms(r: WeightReader, a: ArchSpec, prefix: string, norm: (r: WeightReader, name: string, width: number) => Norm<HostArray>): Pick<LayerWeights<HostArray>, 'qNorm' | 'kNorm'> {
  if (!a.qkNorm) return {};
  const perHead = a.qkNorm === 'head';
  return {
    qNorm: norm(r, `${prefix}.q_norm`, perHead ? a.headDim : a.nHeads * a.headDim),
    kNorm: norm(r, `${prefix}.k_norm`, perHead ? a.headDim : a.nKvHeads * a.headDim),
  };
}

function mlpWeights(r: WeightReader, a: ArchSpec, p: string, layout: DecoderWeightLayout): Pick<LayerWeights<HostArray>, 'gate' | 'up' | 'down' | 'moe'> {
  if (a.moe) {
    // MixtralSparseMoeBlock: gate [experts, d] (no bias); MixtralBlockSparseTop2MLP: w2(act(w1 x) * w3 x)
    const m = `${p}.block_sparse_moe`;
    const expert = (e: number) => ({
      gate: torchLinear(r, `${m}.experts.${e}.w1`, a.dModel, a.dMlp, false),
      up: torchLinear(r, `${m}.experts.${e}.w3`, a.dModel, a.dMlp, false),
      down: torchLinear(r, `${m}.experts.${e}.w2`, a.dMlp, a.dModel, false),
    });
    const experts = Array.from({ length: a.moe.experts }, (_, e) => expert(e)); // first: a count above the file's is named as such
    return { moe: { router: torchLinear(r, `${m}.gate`, a.dModel, a.moe.experts, false), experts } };
  }
  if (!layout.fused) return mlpProjections(r, a, `${p}.mlp`, { gate: 'gate_proj', up: 'up_proj', down: 'down_proj' });
  // Phi3MLP: gate_up_proj output chunked [gate | up]; down(up * act(gate))
  const [gate, up] = fusedRowBlocks(r, `${p}.mlp.gate_up_proj`, a.dModel, [a.dMlp, a.dMlp], a.bias.mlp);
  return { gate, up, down: torchLinear(r, `${p}.mlp.down_proj`, a.dMlp, a.dModel, a.bias.mlp) };
}
