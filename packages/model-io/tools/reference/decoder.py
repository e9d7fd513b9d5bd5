"""Llama-style decoder-only families in one forward pass: llama, mistral, qwen2, qwen3, gemma, gemma2,
gemma3_text, phi3, olmo2, mixtral. Each formula cites the transformers v4.57.1 modeling file it follows;
the family differences are data (`traits`), the shared parts live in rope.py, attention.py, moe.py and
numerics.py.
"""

from __future__ import annotations

import math

import numpy as np

from attention import eager_attention
from moe import sparse_moe
from numerics import activation, linear, rms_norm, soft_cap
from rope import apply_rotary, rotary_tables

GEMMA_TYPES = ("gemma", "gemma2", "gemma3_text")
FAMILIES = ("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "phi3", "olmo2", "mixtral")


def traits(cfg: dict) -> dict:
    """What distinguishes each family's block, read from its modeling_<family>.py (v4.57.1)."""
    mt = cfg["model_type"]
    heads = cfg["num_attention_heads"]
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // heads
    layers = cfg["num_hidden_layers"]
    if mt in ("gemma2", "gemma3_text"):
        # Gemma2Attention / Gemma3Attention: self.scaling = config.query_pre_attn_scalar ** -0.5
        scaling = cfg["query_pre_attn_scalar"] ** -0.5
    else:
        # LlamaAttention and the rest: head_dim ** -0.5
        scaling = head_dim**-0.5
    if mt in ("mistral", "mixtral", "phi3"):
        # MistralModel / MixtralModel / Phi3Model: one sliding-window mask for every layer when
        # config.sliding_window is set (create_sliding_window_causal_mask)
        windows = [cfg.get("sliding_window")] * layers
    elif mt in ("qwen2", "qwen3", "gemma2", "gemma3_text"):
        # config.layer_types[i] == "sliding_attention" -> that layer uses config.sliding_window
        windows = [cfg.get("sliding_window") if t == "sliding_attention" else None for t in cfg["layer_types"]]
    else:
        windows = [None] * layers
    return {
        "head_dim": head_dim,
        "scaling": scaling,
        "windows": windows,
        # GemmaRMSNorm & successors: x_hat * (1 + w); the rest: x_hat * w
        "zero_centred_norm": mt in GEMMA_TYPES,
        # GemmaModel / Gemma2Model: embeddings * sqrt(hidden_size) (a float32 tensor in transformers);
        # Gemma3TextScaledWordEmbedding: the same through embed_scale
        "embed_scale": math.sqrt(cfg["hidden_size"]) if mt in GEMMA_TYPES else None,
        # Gemma2/Gemma3DecoderLayer: input, post_attention, pre_feedforward, post_feedforward norms;
        # Olmo2DecoderLayer: no input norm, post_attention / post_feedforward norms on the sublayer output
        "layout": "sandwich" if mt in ("gemma2", "gemma3_text") else ("post" if mt == "olmo2" else "pre"),
        # Qwen3Attention / Gemma3Attention: RMSNorm over head_dim on each head (after the view, before
        # rope); Olmo2Attention: RMSNorm over the whole q / k projection (before the view)
        "qk_norm": "head" if mt in ("qwen3", "gemma3_text") else ("full" if mt == "olmo2" else None),
        # Qwen2Attention: q/k/v biases, o_proj none; others follow config.attention_bias
        "qkv_bias": True if mt == "qwen2" else bool(cfg.get("attention_bias", False)),
        "o_bias": False if mt == "qwen2" else bool(cfg.get("attention_bias", False)),
        "fused_qkv": mt == "phi3",
        "mlp": "fused" if mt == "phi3" else ("moe" if mt == "mixtral" else "gated"),
        "mlp_bias": bool(cfg.get("mlp_bias", False)),
        # GemmaMLP (4.57.1) uses config.hidden_activation; the others config.hidden_act
        "act": (cfg.get("hidden_activation") or cfg.get("hidden_act")) if mt in GEMMA_TYPES else cfg["hidden_act"],
        "attn_softcap": cfg.get("attn_logit_softcapping") if mt in ("gemma2", "gemma3_text") else None,
        "final_softcap": cfg.get("final_logit_softcapping") if mt in ("gemma2", "gemma3_text") else None,
    }


def _norm(x, w, cfg, tr):
    return rms_norm(x, w, cfg["rms_norm_eps"], zero_centred=tr["zero_centred_norm"])


def _rotary_for_layers(cfg: dict, seq_len: int, tr: dict) -> list[tuple[np.ndarray, np.ndarray]]:
    glob = rotary_tables(cfg, seq_len)
    if cfg["model_type"] != "gemma3_text":
        return [glob] * cfg["num_hidden_layers"]
    # Gemma3TextModel.__init__ (v4.57.1): rotary_emb_local is built from a copy of the config with
    # rope_theta = rope_local_base_freq and rope_scaling = {"rope_type": "default"}; sliding layers use
    # it, full-attention layers use the global one (rope_theta and rope_scaling as configured).
    local_cfg = dict(cfg, rope_theta=cfg["rope_local_base_freq"], rope_scaling={"rope_type": "default"})
    local = rotary_tables(local_cfg, seq_len)
    return [local if t == "sliding_attention" else glob for t in cfg["layer_types"]]


def _attention(x, p, cfg, tr, cos, sin, window):
    s, t, _ = x.shape
    h = cfg["num_attention_heads"]
    hkv = cfg.get("num_key_value_heads") or h
    d = tr["head_dim"]
    if tr["fused_qkv"]:
        # Phi3Attention.forward: qkv_proj output = [q (H*D) | k (Hkv*D) | v (Hkv*D)]
        qkv = linear(x, p["self_attn.qkv_proj.weight"])
        q, k, v = qkv[..., : h * d], qkv[..., h * d : (h + hkv) * d], qkv[..., (h + hkv) * d :]
    else:
        q = linear(x, p["self_attn.q_proj.weight"], p.get("self_attn.q_proj.bias"))
        k = linear(x, p["self_attn.k_proj.weight"], p.get("self_attn.k_proj.bias"))
        v = linear(x, p["self_attn.v_proj.weight"], p.get("self_attn.v_proj.bias"))
    if tr["qk_norm"] == "full":
        # Olmo2Attention: q_norm(q_proj(x)), k_norm(k_proj(x)) over H*D / Hkv*D features
        q = rms_norm(q, p["self_attn.q_norm.weight"], cfg["rms_norm_eps"])
        k = rms_norm(k, p["self_attn.k_norm.weight"], cfg["rms_norm_eps"])
    q = q.reshape(s, t, h, d).transpose(0, 2, 1, 3)
    k = k.reshape(s, t, hkv, d).transpose(0, 2, 1, 3)
    v = v.reshape(s, t, hkv, d).transpose(0, 2, 1, 3)
    if tr["qk_norm"] == "head":
        # Qwen3Attention / Gemma3Attention: q_norm / k_norm over head_dim, per head, before rope
        q = rms_norm(q, p["self_attn.q_norm.weight"], cfg["rms_norm_eps"], zero_centred=tr["zero_centred_norm"])
        k = rms_norm(k, p["self_attn.k_norm.weight"], cfg["rms_norm_eps"], zero_centred=tr["zero_centred_norm"])
    q = apply_rotary(q, cos, sin)
    k = apply_rotary(k, cos, sin)
    out, probs = eager_attention(q, k, v, tr["scaling"], sliding_window=window, softcap=tr["attn_softcap"])
    out = linear(out, p["self_attn.o_proj.weight"], p.get("self_attn.o_proj.bias"))
    return out, probs


def _mlp(x, p, cfg, tr):
    act = activation(tr["act"])
    if tr["mlp"] == "fused":
        # Phi3MLP: gate_up_proj output chunked in two halves, gate first: down(up * act(gate))
        gate, up = np.split(linear(x, p["mlp.gate_up_proj.weight"]), 2, axis=-1)
        return linear(up * act(gate), p["mlp.down_proj.weight"]), None
    if tr["mlp"] == "moe":
        n = cfg["num_local_experts"]
        experts = [
            {w: p[f"block_sparse_moe.experts.{e}.{w}.weight"] for w in ("w1", "w2", "w3")} for e in range(n)
        ]
        return sparse_moe(x, p["block_sparse_moe.gate.weight"], experts, cfg["num_experts_per_tok"], act)
    # LlamaMLP: down(act(gate(x)) * up(x))
    g = linear(x, p["mlp.gate_proj.weight"], p.get("mlp.gate_proj.bias"))
    u = linear(x, p["mlp.up_proj.weight"], p.get("mlp.up_proj.bias"))
    return linear(act(g) * u, p["mlp.down_proj.weight"], p.get("mlp.down_proj.bias")), None


def forward(cfg: dict, weights: dict[str, np.ndarray], ids: np.ndarray) -> dict:
    """ids [S, T] -> logits, hidden_states (L+1, the last after the final norm), attentions (L),
    router_probs (mixtral only)."""
    tr = traits(cfg)
    s, t = ids.shape
    x = weights["model.embed_tokens.weight"][ids]
    if tr["embed_scale"] is not None:
        x = x * tr["embed_scale"]
    rotaries = _rotary_for_layers(cfg, t, tr)
    hidden, attentions, router = [x], [], []
    for layer in range(cfg["num_hidden_layers"]):
        pre = f"model.layers.{layer}."
        p = {k[len(pre) :]: v for k, v in weights.items() if k.startswith(pre)}
        cos, sin = rotaries[layer]
        window = tr["windows"][layer]
        if tr["layout"] == "post":
            # Olmo2DecoderLayer.forward: x + post_attention_layernorm(attn(x)); x + post_feedforward_layernorm(mlp(x))
            a, probs = _attention(x, p, cfg, tr, cos, sin, window)
            x = x + _norm(a, p["post_attention_layernorm.weight"], cfg, tr)
            m, rp = _mlp(x, p, cfg, tr)
            x = x + _norm(m, p["post_feedforward_layernorm.weight"], cfg, tr)
        elif tr["layout"] == "sandwich":
            # Gemma2DecoderLayer / Gemma3DecoderLayer.forward
            a, probs = _attention(_norm(x, p["input_layernorm.weight"], cfg, tr), p, cfg, tr, cos, sin, window)
            x = x + _norm(a, p["post_attention_layernorm.weight"], cfg, tr)
            m, rp = _mlp(_norm(x, p["pre_feedforward_layernorm.weight"], cfg, tr), p, cfg, tr)
            x = x + _norm(m, p["post_feedforward_layernorm.weight"], cfg, tr)
        else:
            # LlamaDecoderLayer.forward: pre-norm residual blocks
            a, probs = _attention(_norm(x, p["input_layernorm.weight"], cfg, tr), p, cfg, tr, cos, sin, window)
            x = x + a
            m, rp = _mlp(_norm(x, p["post_attention_layernorm.weight"], cfg, tr), p, cfg, tr)
            x = x + m
        hidden.append(x)
        attentions.append(probs)
        if rp is not None:
            router.append(rp)
    # utils/generic.py check_model_inputs (v4.57.1): hidden_states = the first layer's input, each
    # layer's output, with the last entry replaced by last_hidden_state = model.norm(output).
    final = _norm(x, weights["model.norm.weight"], cfg, tr)
    hidden[-1] = final
    lm_head = weights.get("lm_head.weight", weights["model.embed_tokens.weight"])
    # Gemma2ForCausalLM / Gemma3ForCausalLM: logits soft-capped by final_logit_softcapping
    logits = soft_cap(linear(final, lm_head), tr["final_softcap"])
    out = {"logits": logits, "hidden_states": hidden, "attentions": attentions}
    if router:
        out["router_probs"] = router
    return out
