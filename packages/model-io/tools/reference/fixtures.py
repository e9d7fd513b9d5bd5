"""The tiny random checkpoints of test/fixtures/hf-extra: their configs, their tensors (real transformers
v4.57.1 names and shapes) and how each one is drawn."""

from __future__ import annotations

import zlib

import numpy as np

from hf_config import build
from rope import rotary_dim

SEQUENCES, SEQ_LEN = 3, 17
VOCAB, HIDDEN, HEADS, HEAD_DIM = 128, 64, 4, 16
INIT_STD = 0.1  # like the shared fixtures' initializer_range
BIAS_STD, GAIN_STD = 0.05, 0.1

_COMMON = dict(vocab_size=VOCAB, hidden_size=HIDDEN, num_attention_heads=HEADS, initializer_range=INIT_STD)
_LLAMA_LIKE = dict(_COMMON, intermediate_size=64, num_hidden_layers=2, num_key_value_heads=2, max_position_embeddings=128)

# Phi-3 longrope factors (rotary_dim / 2 entries): increasing with the wavelength, like the released ones
_SHORT8 = [1.0, 1.02, 1.05, 1.1, 1.2, 1.4, 1.7, 2.0]
_LONG8 = [1.0, 1.25, 1.8, 2.9, 4.6, 7.5, 12.0, 19.0]
_SHORT6 = [1.0, 1.05, 1.15, 1.35, 1.7, 2.2]
_LONG6 = [1.0, 1.4, 2.5, 4.5, 8.0, 14.0]

# name -> (model_type, config arguments, what it exercises)
SPECS: dict[str, tuple[str, dict, str]] = {
    "llama_rope_linear": ("llama", dict(_LLAMA_LIKE, rope_scaling={"type": "linear", "factor": 4.0}),
        "rope_scaling linear (factor 4) written with the legacy `type` key (LlamaConfig copies it to `rope_type`)"),
    "llama_rope_dynamic": ("llama", dict(_LLAMA_LIKE, max_position_embeddings=12, rope_scaling={"rope_type": "dynamic", "factor": 2.0}),
        "rope_scaling dynamic NTK (factor 2) with max_position_embeddings 12 < T = 17, so the base grows to base * (2 * 17/12 - 1)^(16/14)"),
    "llama_rope_llama3": ("llama", dict(_LLAMA_LIKE, max_position_embeddings=512, tie_word_embeddings=True, rope_theta=10000.0,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64}),
        "rope_scaling llama3 (factor 8, low/high 1/4, original 64): rotary pair 0 high-frequency (kept), pairs 1-2 smoothed, 3-7 divided by 8; tied lm_head like Llama 3.2"),
    "llama_rope_yarn": ("llama", dict(_LLAMA_LIKE, rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32}),
        "rope_scaling yarn (factor 4 = 128/32, original 32): ramp over rotary pairs 0-2, attention factor 0.1 ln 4 + 1 on cos/sin"),
    "qwen2_rope_yarn": ("qwen2", dict(_LLAMA_LIKE, tie_word_embeddings=True, rope_theta=1000000.0,
        rope_scaling={"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32}),
        "Qwen2.5-style yarn (legacy `type` key, factor 4 = 128/32, rope_theta 1e6), q/k/v biases, tied lm_head"),
    "gpt_neox_rope_yarn": ("gpt_neox", dict(_COMMON, num_hidden_layers=2, intermediate_size=128, max_position_embeddings=128, rotary_pct=0.25,
        rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32}),
        "yarn on a partial rotary (rotary_pct 0.25: 4 of 16 dims): the correction range is computed on the rotary width 4"),
    "phi3": ("phi3", dict(_LLAMA_LIKE, max_position_embeddings=128, original_max_position_embeddings=128, bos_token_id=1, eos_token_id=2, pad_token_id=0),
        "fused qkv_proj with GQA (4 q, 2 kv heads) and fused gate_up_proj, no rope scaling"),
    "phi3_longrope_short": ("phi3", dict(_LLAMA_LIKE, num_key_value_heads=4, max_position_embeddings=128, original_max_position_embeddings=32,
        bos_token_id=1, eos_token_id=2, pad_token_id=0, rope_scaling={"type": "longrope", "short_factor": _SHORT8, "long_factor": _LONG8}),
        "longrope with T = 17 <= original_max_position_embeddings 32: short factors, attention factor sqrt(1 + ln 4 / ln 32)"),
    "phi3_longrope_long": ("phi3", dict(_LLAMA_LIKE, max_position_embeddings=64, original_max_position_embeddings=16, partial_rotary_factor=0.75,
        bos_token_id=1, eos_token_id=2, pad_token_id=0, rope_scaling={"type": "longrope", "short_factor": _SHORT6, "long_factor": _LONG6}),
        "longrope with T = 17 > original_max_position_embeddings 16: long factors; partial_rotary_factor 0.75 (12 of 16 dims, Phi-4-mini style)"),
    "bloom": ("bloom", dict(vocab_size=VOCAB, hidden_size=HIDDEN, n_layer=2, n_head=HEADS, initializer_range=INIT_STD),
        "ALiBi (slopes 2^-2, 2^-4, 2^-6, 2^-8), word_embeddings_layernorm, per-head interleaved fused qkv with biases, Bloom's tanh-gelu, tied lm_head"),
    "gemma2": ("gemma2", dict(_LLAMA_LIKE, head_dim=HEAD_DIM, sliding_window=6, query_pre_attn_scalar=32,
        attn_logit_softcapping=1.0, final_logit_softcapping=3.0),
        "layer 0 sliding (window 6 < 17), layer 1 global; attention soft-cap 1.0 and final soft-cap 3.0 (small, so the random-weight scores bend); query_pre_attn_scalar 32 != head_dim 16; sandwich norms; embeddings * 8"),
    "gemma3_text": ("gemma3_text", dict(_LLAMA_LIKE, num_hidden_layers=3, num_key_value_heads=1, head_dim=HEAD_DIM, sliding_window=5,
        query_pre_attn_scalar=24, rope_theta=1000000.0, rope_local_base_freq=10000.0, _sliding_window_pattern=3,
        rope_scaling={"rope_type": "linear", "factor": 8.0}),
        "layers 0-1 sliding (window 5) on the local base 10000 without scaling, layer 2 global on rope_theta 1e6 with linear factor 8; q/k RMSNorm (1 + w) per head; MQA"),
    "qwen3": ("qwen3", dict(_LLAMA_LIKE, head_dim=HEAD_DIM, tie_word_embeddings=True, rope_theta=1000000.0),
        "q_norm / k_norm RMSNorm over head_dim on each head before rope; tied lm_head like Qwen3-0.6B"),
    "olmo2": ("olmo2", dict(_LLAMA_LIKE, rms_norm_eps=1e-6, rope_theta=500000.0, bos_token_id=None, eos_token_id=2, pad_token_id=1),
        "no pre-norms: post_attention / post_feedforward RMSNorm on each sublayer output; q_norm over the whole 64-wide q projection, k_norm over the 32-wide k projection"),
    "mixtral": ("mixtral", dict(_LLAMA_LIKE, num_local_experts=4, num_experts_per_tok=2, rms_norm_eps=1e-5),
        "sparse MoE: router softmax over 4 experts, top-2, renormalised; router_probs.{l} in expected.safetensors"),
    "mistral_sliding_window": ("mistral", dict(_LLAMA_LIKE, num_hidden_layers=2, head_dim=HEAD_DIM, sliding_window=5),
        "sliding_window 5 < T = 17 on every layer: a query sees itself and the 4 keys before it"),
}


def _rng(name: str, salt: str) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(name.encode()), zlib.crc32(salt.encode())])


def tensor_shapes(cfg: dict) -> dict[str, tuple[int, ...]]:
    """Every tensor the model class registers as a persistent parameter, with its name and shape."""
    mt = cfg["model_type"]
    d, v = cfg["hidden_size"], cfg["vocab_size"]
    shapes: dict[str, tuple[int, ...]] = {}
    if mt == "bloom":
        h = 4 * d
        shapes["transformer.word_embeddings.weight"] = (v, d)
        for n in ("word_embeddings_layernorm", "ln_f"):
            shapes[f"transformer.{n}.weight"] = shapes[f"transformer.{n}.bias"] = (d,)
        for i in range(cfg["n_layer"]):
            p = f"transformer.h.{i}."
            for n in ("input_layernorm", "post_attention_layernorm"):
                shapes[p + n + ".weight"] = shapes[p + n + ".bias"] = (d,)
            shapes[p + "self_attention.query_key_value.weight"], shapes[p + "self_attention.query_key_value.bias"] = (3 * d, d), (3 * d,)
            shapes[p + "self_attention.dense.weight"], shapes[p + "self_attention.dense.bias"] = (d, d), (d,)
            shapes[p + "mlp.dense_h_to_4h.weight"], shapes[p + "mlp.dense_h_to_4h.bias"] = (h, d), (h,)
            shapes[p + "mlp.dense_4h_to_h.weight"], shapes[p + "mlp.dense_4h_to_h.bias"] = (d, h), (d,)
        return shapes
    if mt == "gpt_neox":
        inter = cfg["intermediate_size"]
        shapes["gpt_neox.embed_in.weight"] = (v, d)
        for i in range(cfg["num_hidden_layers"]):
            p = f"gpt_neox.layers.{i}."
            for n in ("input_layernorm", "post_attention_layernorm"):
                shapes[p + n + ".weight"] = shapes[p + n + ".bias"] = (d,)
            shapes[p + "attention.query_key_value.weight"], shapes[p + "attention.query_key_value.bias"] = (3 * d, d), (3 * d,)
            shapes[p + "attention.dense.weight"], shapes[p + "attention.dense.bias"] = (d, d), (d,)
            shapes[p + "mlp.dense_h_to_4h.weight"], shapes[p + "mlp.dense_h_to_4h.bias"] = (inter, d), (inter,)
            shapes[p + "mlp.dense_4h_to_h.weight"], shapes[p + "mlp.dense_4h_to_h.bias"] = (d, inter), (d,)
        shapes["gpt_neox.final_layer_norm.weight"] = shapes["gpt_neox.final_layer_norm.bias"] = (d,)
        shapes["embed_out.weight"] = (v, d)
        return shapes
    from decoder import traits

    tr = traits(cfg)
    hq, hkv, hd, inter = cfg["num_attention_heads"], cfg["num_key_value_heads"], tr["head_dim"], cfg["intermediate_size"]
    shapes["model.embed_tokens.weight"] = (v, d)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        if tr["fused_qkv"]:
            shapes[p + "self_attn.qkv_proj.weight"] = ((hq + 2 * hkv) * hd, d)
        else:
            for n, rows in (("q", hq * hd), ("k", hkv * hd), ("v", hkv * hd)):
                shapes[p + f"self_attn.{n}_proj.weight"] = (rows, d)
                if tr["qkv_bias"]:
                    shapes[p + f"self_attn.{n}_proj.bias"] = (rows,)
        shapes[p + "self_attn.o_proj.weight"] = (d, hq * hd)
        if tr["o_bias"]:
            shapes[p + "self_attn.o_proj.bias"] = (d,)
        if tr["qk_norm"] == "head":
            shapes[p + "self_attn.q_norm.weight"] = shapes[p + "self_attn.k_norm.weight"] = (hd,)
        elif tr["qk_norm"] == "full":
            shapes[p + "self_attn.q_norm.weight"], shapes[p + "self_attn.k_norm.weight"] = (hq * hd,), (hkv * hd,)
        norms = {"pre": ("input_layernorm", "post_attention_layernorm"),
                 "sandwich": ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"),
                 "post": ("post_attention_layernorm", "post_feedforward_layernorm")}[tr["layout"]]
        for n in norms:
            shapes[p + n + ".weight"] = (d,)
        if tr["mlp"] == "fused":
            shapes[p + "mlp.gate_up_proj.weight"] = (2 * inter, d)
            shapes[p + "mlp.down_proj.weight"] = (d, inter)
        elif tr["mlp"] == "moe":
            shapes[p + "block_sparse_moe.gate.weight"] = (cfg["num_local_experts"], d)
            for e in range(cfg["num_local_experts"]):
                q = p + f"block_sparse_moe.experts.{e}."
                shapes[q + "w1.weight"], shapes[q + "w2.weight"], shapes[q + "w3.weight"] = (inter, d), (d, inter), (inter, d)
        else:
            for n in ("gate", "up"):
                shapes[p + f"mlp.{n}_proj.weight"] = (inter, d)
            shapes[p + "mlp.down_proj.weight"] = (d, inter)
    shapes["model.norm.weight"] = (d,)
    if not cfg["tie_word_embeddings"]:
        shapes["lm_head.weight"] = (v, d)
    return shapes


def draw_weights(name: str, cfg: dict, attempt: int = 0) -> dict[str, np.ndarray]:
    """float32 weights: N(0, 0.1^2) for every matrix and embedding (the padding row zeroed, as
    _init_weights does); then, from a second generator, every 1-D parameter re-drawn as in the shared
    fixtures: biases N(0, 0.05^2), norm gains N(0, 0.1^2) added to their init (1, or 0 for the
    zero-centred Gemma norms), so that a dropped bias or gain cannot pass."""
    shapes = tensor_shapes(cfg)
    main = _rng(name, f"matrices/{attempt}")
    side = _rng(name, f"vectors/{attempt}")
    zero_centred = cfg["model_type"] in ("gemma", "gemma2", "gemma3_text")
    out: dict[str, np.ndarray] = {}
    for key in sorted(shapes):
        shape = shapes[key]
        if len(shape) == 2:
            w = main.normal(0.0, cfg.get("initializer_range", INIT_STD), size=shape).astype(np.float32)
            pad = cfg.get("pad_token_id")
            if key.endswith(("embed_tokens.weight", "word_embeddings.weight", "embed_in.weight")) and pad is not None and 0 <= pad < shape[0]:
                w[pad] = 0.0
        elif key.endswith(".bias"):
            w = side.normal(0.0, BIAS_STD, size=shape).astype(np.float32)
        else:
            w = ((0.0 if zero_centred else 1.0) + side.normal(0.0, GAIN_STD, size=shape)).astype(np.float32)
        out[key] = w
    return out


def draw_inputs(name: str, cfg: dict) -> np.ndarray:
    """3 x 17 ids uniform in [0, vocab); column 0 is the BOS id when the config has one in range."""
    ids = _rng(name, "inputs").integers(0, cfg["vocab_size"], size=(SEQUENCES, SEQ_LEN)).astype(np.int64)
    bos = cfg.get("bos_token_id")
    if bos is not None and 0 <= bos < cfg["vocab_size"]:
        ids[:, 0] = bos
    return ids


def config_for(name: str) -> dict:
    model_type, values, _ = SPECS[name]
    return build(model_type, **values)


def check_rotary(cfg: dict) -> None:
    """Phi3Config._rope_scaling_validation: longrope factor lists have rotary_dim // 2 entries."""
    rs = cfg.get("rope_scaling")
    if isinstance(rs, dict) and rs.get("type") == "longrope":
        n = rotary_dim(cfg) // 2
        for k in ("short_factor", "long_factor"):
            if len(rs[k]) != n:
                raise ValueError(f"{k} needs {n} entries")
