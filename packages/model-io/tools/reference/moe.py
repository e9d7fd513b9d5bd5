"""Mixtral-style sparse mixture of experts (transformers v4.57.1 modeling_mixtral.py,
MixtralSparseMoeBlock.forward and MixtralBlockSparseTop2MLP)."""

from __future__ import annotations

import numpy as np

from numerics import linear, softmax


def route(x: np.ndarray, gate_weight: np.ndarray, top_k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x [N, d] -> (router probabilities [N, E], chosen experts [N, k], their weights [N, k]).

    router_logits = gate(x); probabilities = softmax over all experts (float32 in transformers);
    torch.topk picks the k largest (descending); the chosen weights are renormalised to sum to 1
    (Mixtral always renormalises: `routing_weights /= routing_weights.sum(dim=-1, keepdim=True)`)."""
    probs = softmax(linear(x, gate_weight), axis=-1)
    order = np.argsort(-probs, axis=-1, kind="stable")[:, :top_k]
    weights = np.take_along_axis(probs, order, axis=-1)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return probs, order, weights


def sparse_moe(x: np.ndarray, gate_weight: np.ndarray, experts: list[dict], top_k: int, act) -> tuple[np.ndarray, np.ndarray]:
    """x [..., d] -> (output [..., d], router probabilities [..., E]); expert e computes
    w2(act(w1 x) * w3 x) (w1 = gate, w3 = up, w2 = down) and the outputs are summed with the weights."""
    shape = x.shape
    flat = x.reshape(-1, shape[-1])
    probs, chosen, weights = route(flat, gate_weight, top_k)
    out = np.zeros_like(flat)
    for e, w in enumerate(experts):
        rows, slot = np.nonzero(chosen == e)
        if rows.size == 0:
            continue
        h = flat[rows]
        y = linear(act(linear(h, w["w1"])) * linear(h, w["w3"]), w["w2"])
        out[rows] += y * weights[rows, slot][:, None]
    return out.reshape(shape), probs.reshape(*shape[:-1], probs.shape[-1])


def top_k_margin(probs: np.ndarray, top_k: int) -> float:
    """Smallest gap between the k-th and (k+1)-th router probability over all tokens: a float32 forward
    picks the same experts as this float64 one only when the gap is well above float32 round-off."""
    s = -np.sort(-probs.reshape(-1, probs.shape[-1]), axis=-1)
    return float(np.min(s[:, top_k - 1] - s[:, top_k]))
