"""GPT-2 (transformers modeling_gpt2.py; used to validate the shared parts against the v4.44.2 goldens)."""

from __future__ import annotations

import numpy as np

from attention import eager_attention
from numerics import activation, layer_norm


def forward(cfg: dict, w: dict[str, np.ndarray], ids: np.ndarray) -> dict:
    s, t = ids.shape
    h = cfg["n_head"]
    d = cfg["n_embd"] // h
    eps = cfg["layer_norm_epsilon"]
    act = activation(cfg["activation_function"])
    # GPT2Model.forward: wte[ids] + wpe[positions]
    x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][np.arange(t)][None]
    hidden, attentions = [x], []
    for layer in range(cfg["n_layer"]):
        p = f"transformer.h.{layer}."
        a_in = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        # Conv1D stores [in, out]: y = x W + b; c_attn columns are [q | k | v]
        qkv = a_in @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = (z.reshape(s, t, h, d).transpose(0, 2, 1, 3) for z in np.split(qkv, 3, axis=-1))
        out, probs = eager_attention(q, k, v, d**-0.5)
        x = x + out @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        m_in = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        m = act(m_in @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
        hidden.append(x)
        attentions.append(probs)
    final = layer_norm(x, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], eps)
    hidden[-1] = final
    lm_head = w.get("lm_head.weight", w["transformer.wte.weight"])
    return {"logits": final @ lm_head.T, "hidden_states": hidden, "attentions": attentions}
