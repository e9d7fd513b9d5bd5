"""BLOOM (transformers v4.57.1 modeling_bloom.py): embedding LayerNorm, per-head interleaved fused qkv,
ALiBi instead of positions, tanh-gelu with Bloom's own constant, tied lm_head."""

from __future__ import annotations

import numpy as np

from attention import alibi_bias, eager_attention
from numerics import bloom_gelu, layer_norm, linear


def forward(cfg: dict, w: dict[str, np.ndarray], ids: np.ndarray) -> dict:
    s, t = ids.shape
    h = cfg["n_head"]
    d = cfg["hidden_size"] // h
    eps = cfg["layer_norm_epsilon"]
    post_ln_residual = cfg.get("apply_residual_connection_post_layernorm", False)
    ln = lambda z, name: layer_norm(z, w[name + ".weight"], w[name + ".bias"], eps)
    # BloomModel.forward: word_embeddings then word_embeddings_layernorm; that normed tensor is what
    # enters block 0 and is hidden_states[0]
    x = ln(w["transformer.word_embeddings.weight"][ids], "transformer.word_embeddings_layernorm")
    bias = alibi_bias(h, t)
    hidden, attentions = [x], []
    for layer in range(cfg["n_layer"]):
        p = f"transformer.h.{layer}."
        a_in = ln(x, p + "input_layernorm")
        residual = a_in if post_ln_residual else x
        # BloomAttention._reshape: fused output viewed as [S, T, H, 3, D] -> q, k, v per head
        qkv = linear(a_in, w[p + "self_attention.query_key_value.weight"], w[p + "self_attention.query_key_value.bias"])
        qkv = qkv.reshape(s, t, h, 3, d).transpose(0, 2, 1, 3, 4)
        q, k, v = qkv[..., 0, :], qkv[..., 1, :], qkv[..., 2, :]
        # alibi.baddbmm(q, k^T, beta=1, alpha=1/sqrt(D)): ALiBi + scaled scores
        out, probs = eager_attention(q, k, v, d**-0.5, bias=bias)
        x = residual + linear(out, w[p + "self_attention.dense.weight"], w[p + "self_attention.dense.bias"])
        m_in = ln(x, p + "post_attention_layernorm")
        residual = m_in if post_ln_residual else x
        m = linear(bloom_gelu(linear(m_in, w[p + "mlp.dense_h_to_4h.weight"], w[p + "mlp.dense_h_to_4h.bias"])), w[p + "mlp.dense_4h_to_h.weight"], w[p + "mlp.dense_4h_to_h.bias"])
        x = residual + m
        hidden.append(x)
        attentions.append(probs)
    final = ln(x, "transformer.ln_f")
    hidden[-1] = final
    lm_head = w.get("lm_head.weight", w["transformer.word_embeddings.weight"])
    return {"logits": linear(final, lm_head), "hidden_states": hidden, "attentions": attentions}
