"""GPT-NeoX / Pythia (transformers v4.57.1 modeling_gpt_neox.py): per-head interleaved fused qkv,
partial rotary (config.partial_rotary_factor = rotary_pct, rope_theta = rotary_emb_base, set by
GPTNeoXConfig.__init__), parallel or sequential residual."""

from __future__ import annotations

import numpy as np

from attention import eager_attention
from numerics import activation, layer_norm, linear
from rope import apply_rotary, rotary_tables


def forward(cfg: dict, w: dict[str, np.ndarray], ids: np.ndarray) -> dict:
    s, t = ids.shape
    h = cfg["num_attention_heads"]
    d = cfg["hidden_size"] // h
    eps = cfg["layer_norm_eps"]
    act = activation(cfg["hidden_act"])
    cos, sin = rotary_tables(cfg, t)
    x = w["gpt_neox.embed_in.weight"][ids]
    hidden, attentions = [x], []
    for layer in range(cfg["num_hidden_layers"]):
        p = f"gpt_neox.layers.{layer}."
        a_in = layer_norm(x, w[p + "input_layernorm.weight"], w[p + "input_layernorm.bias"], eps)
        # GPTNeoXAttention.forward: qkv viewed as [S, T, H, 3*D]; per head q | k | v
        qkv = linear(a_in, w[p + "attention.query_key_value.weight"], w.get(p + "attention.query_key_value.bias"))
        qkv = qkv.reshape(s, t, h, 3 * d).transpose(0, 2, 1, 3)
        q, k, v = qkv[..., :d], qkv[..., d : 2 * d], qkv[..., 2 * d :]
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        out, probs = eager_attention(q, k, v, d**-0.5)
        a = linear(out, w[p + "attention.dense.weight"], w.get(p + "attention.dense.bias"))

        def mlp(z):
            return linear(act(linear(z, w[p + "mlp.dense_h_to_4h.weight"], w[p + "mlp.dense_h_to_4h.bias"])), w[p + "mlp.dense_4h_to_h.weight"], w[p + "mlp.dense_4h_to_h.bias"])

        ln2 = lambda z: layer_norm(z, w[p + "post_attention_layernorm.weight"], w[p + "post_attention_layernorm.bias"], eps)
        if cfg["use_parallel_residual"]:
            # GPTNeoXLayer.forward: x + attn(ln1(x)) + mlp(ln2(x))
            x = x + a + mlp(ln2(x))
        else:
            x = x + a
            x = x + mlp(ln2(x))
        hidden.append(x)
        attentions.append(probs)
    final = layer_norm(x, w["gpt_neox.final_layer_norm.weight"], w["gpt_neox.final_layer_norm.bias"], eps)
    hidden[-1] = final
    return {"logits": linear(final, w["embed_out.weight"]), "hidden_states": hidden, "attentions": attentions}
