"""Float64 building blocks shared by every family: linear maps, norms, activations, softmax."""

from __future__ import annotations

import math

import numpy as np

_erf = np.frompyfunc(math.erf, 1, 1)


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """torch.nn.Linear: weight is [out, in], y = x W^T + b."""
    y = x @ weight.T
    return y if bias is None else y + bias


def rms_norm(x: np.ndarray, weight: np.ndarray, eps: float, zero_centred: bool = False) -> np.ndarray:
    """LlamaRMSNorm (modeling_llama.py, v4.57.1): x / sqrt(mean(x^2) + eps) * w.
    Gemma/Gemma2/Gemma3RMSNorm (modeling_gemma*.py, v4.57.1) store a zero-centred gain: * (1 + w)."""
    y = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    return y * ((1.0 + weight) if zero_centred else weight)


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """torch.nn.LayerNorm: biased variance over the last axis."""
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * weight + bias


def gelu_exact(x: np.ndarray) -> np.ndarray:
    """activations.py GELUActivation ("gelu"): x * Phi(x) with the error function."""
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    """activations.py NewGELUActivation ("gelu_new") and PytorchGELUTanh ("gelu_pytorch_tanh")."""
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def bloom_gelu(x: np.ndarray) -> np.ndarray:
    """modeling_bloom.py (v4.57.1) bloom_gelu_forward: the tanh approximation with the truncated
    constant 0.79788456 written in the source (not sqrt(2/pi) to full precision)."""
    return x * 0.5 * (1.0 + np.tanh(0.79788456 * x * (1.0 + 0.044715 * x * x)))


def silu(x: np.ndarray) -> np.ndarray:
    return x / (1.0 + np.exp(-x))


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


ACTIVATIONS = {
    "silu": silu,
    "swish": silu,
    "gelu": gelu_exact,
    "gelu_new": gelu_tanh,
    "gelu_pytorch_tanh": gelu_tanh,
    "gelu_fast": gelu_tanh,
    "relu": relu,
}


def activation(name: str):
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r} (known: {sorted(ACTIVATIONS)})")
    return ACTIVATIONS[name]


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=axis, keepdims=True)


def soft_cap(x: np.ndarray, cap: float | None) -> np.ndarray:
    """Gemma 2 soft-capping (modeling_gemma2.py v4.57.1, eager_attention_forward and
    Gemma2ForCausalLM.forward): cap * tanh(x / cap); None leaves x as is."""
    return x if cap is None else cap * np.tanh(x / cap)
