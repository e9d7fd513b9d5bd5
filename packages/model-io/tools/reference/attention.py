"""The eager attention path shared by every family (transformers v4.57.1 `eager_attention_forward` in
modeling_llama.py / modeling_gemma2.py, `masking_utils.py` for the masks, modeling_bloom.py for ALiBi)."""

from __future__ import annotations

import math

import numpy as np

from numerics import soft_cap, softmax


def repeat_kv(x: np.ndarray, n_rep: int) -> np.ndarray:
    """modeling_llama.py repeat_kv: [S, Hkv, T, D] -> [S, Hkv * n_rep, T, D], kv head j serving query heads
    j*n_rep .. (j+1)*n_rep - 1 (torch.repeat_interleave on the head axis)."""
    return x if n_rep == 1 else np.repeat(x, n_rep, axis=1)


def allowed_keys(seq_len: int, sliding_window: int | None) -> np.ndarray:
    """Boolean [T(query), T(key)]: masking_utils.py (v4.57.1) causal_mask_function `kv_idx <= q_idx`, and
    for sliding layers sliding_window_overlay `kv_idx > q_idx - sliding_window`: a query sees itself and
    the sliding_window - 1 keys before it (window tokens in all)."""
    q = np.arange(seq_len)[:, None]
    k = np.arange(seq_len)[None, :]
    ok = k <= q
    if sliding_window is not None:
        ok &= k > q - sliding_window
    return ok


def eager_attention(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    scaling: float,
    sliding_window: int | None = None,
    softcap: float | None = None,
    bias: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """q [S, H, T, D], k/v [S, Hkv, T, D] -> (output [S, T, H*D], probabilities [S, H, T, T]).

    scores = q k^T * scaling (+ bias, Bloom's ALiBi added before masking as in BloomAttention's
    baddbmm); Gemma 2/3 soft-capping cap * tanh(scores / cap) before the mask; masked scores get the
    float minimum in transformers, i.e. exactly zero probability; softmax over keys; dropout off (eval)."""
    n_rep = q.shape[1] // k.shape[1]
    k = repeat_kv(k, n_rep)
    v = repeat_kv(v, n_rep)
    scores = np.einsum("shtd,shud->shtu", q, k) * scaling
    if bias is not None:
        scores = scores + bias
    scores = soft_cap(scores, softcap)
    ok = allowed_keys(q.shape[2], sliding_window)
    scores = np.where(ok[None, None], scores, -np.inf)
    probs = softmax(scores, axis=-1)
    out = np.einsum("shtu,shud->shtd", probs, v)
    s, h, t, d = out.shape
    return out.transpose(0, 2, 1, 3).reshape(s, t, h * d), probs


def alibi_slopes(num_heads: int) -> np.ndarray:
    """modeling_bloom.py (v4.57.1) build_alibi_tensor: for the closest power of two n <= num_heads,
    slopes base^1..base^n with base = 2^(-2^-(log2 n - 3)); the remaining heads take odd powers
    1, 3, 5, ... of extra_base = 2^(-2^-(log2 2n - 3))."""
    closest = 2 ** math.floor(math.log2(num_heads))
    base = 2.0 ** (-(2.0 ** -(math.log2(closest) - 3)))
    slopes = [base**p for p in range(1, closest + 1)]
    if closest != num_heads:
        extra_base = 2.0 ** (-(2.0 ** -(math.log2(2 * closest) - 3)))
        remaining = min(closest, num_heads - closest)
        slopes += [extra_base**p for p in range(1, 1 + 2 * remaining, 2)]
    return np.asarray(slopes, dtype=np.float64)


def alibi_bias(num_heads: int, seq_len: int) -> np.ndarray:
    """[1, H, 1, T]: slope_h * key position ((cumsum(mask) - 1) * mask = 0..T-1 without padding). It
    depends on the key only; per query row that equals -slope * (q - k) up to a constant, which the
    softmax ignores."""
    return (alibi_slopes(num_heads)[:, None] * np.arange(seq_len, dtype=np.float64)[None, :])[None, :, None, :]
