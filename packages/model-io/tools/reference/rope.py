"""Rotary position embeddings and every `rope_scaling` type, following transformers v4.57.1
`src/transformers/modeling_rope_utils.py` (the `_compute_*_parameters` functions, `ROPE_INIT_FUNCTIONS`
and the `dynamic_rope_update` decorator) and `modeling_llama.py` (`LlamaRotaryEmbedding`,
`rotate_half`, `apply_rotary_pos_emb`). Everything is float64; transformers computes in float32.

A config here is the parsed config.json (a dict) with the model class's defaults filled in, plus the
derived keys `rotary_dim_source` (the head dim the rotary width is a fraction of).
"""

from __future__ import annotations

import math

import numpy as np

KNOWN_ROPE_TYPES = ("default", "linear", "dynamic", "yarn", "longrope", "llama3")


def rope_type(cfg: dict) -> str:
    """LlamaRotaryEmbedding.__init__ (v4.57.1): rope_scaling["rope_type"], else the legacy "type" key,
    else "default". Phi3Config._rope_scaling_adjustment maps the legacy "su" (and "yarn") to "longrope"
    for phi3 before that."""
    rs = cfg.get("rope_scaling")
    if not isinstance(rs, dict):
        return "default"
    kind = rs.get("rope_type", rs.get("type", "default"))
    if cfg.get("model_type") == "phi3" and kind in ("su", "yarn"):
        kind = "longrope"
    if kind not in KNOWN_ROPE_TYPES:
        raise ValueError(f"unknown rope_scaling type {kind!r} (known: {', '.join(KNOWN_ROPE_TYPES)})")
    return kind


def rotary_dim(cfg: dict) -> int:
    """_compute_default_rope_parameters: dim = int(head_dim * partial_rotary_factor), head_dim =
    config.head_dim or hidden_size // num_attention_heads."""
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    return int(head_dim * cfg.get("partial_rotary_factor", 1.0))


def _base_inv_freq(base: float, dim: int) -> np.ndarray:
    # _compute_default_rope_parameters: 1 / base^(arange(0, dim, 2) / dim)
    return 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float64) / dim))


def default_parameters(cfg: dict, seq_len: int | None = None) -> tuple[np.ndarray, float]:
    """_compute_default_rope_parameters (v4.57.1): plain RoPE, attention factor 1."""
    return _base_inv_freq(float(cfg["rope_theta"]), rotary_dim(cfg)), 1.0


def linear_parameters(cfg: dict, seq_len: int | None = None) -> tuple[np.ndarray, float]:
    """_compute_linear_scaling_rope_parameters (v4.57.1): inv_freq / factor (position interpolation)."""
    inv_freq, att = default_parameters(cfg)
    return inv_freq / float(cfg["rope_scaling"]["factor"]), att


def dynamic_parameters(cfg: dict, seq_len: int | None = None) -> tuple[np.ndarray, float]:
    """_compute_dynamic_ntk_parameters (v4.57.1): NTK-aware base growth once seq_len exceeds
    config.max_position_embeddings (not rope_scaling's original_max_position_embeddings, which this
    release does not read for "dynamic"):
        seq_len' = max(seq_len, max_position_embeddings)
        base' = base * (factor * seq_len' / max_pos - (factor - 1)) ** (dim / (dim - 2))."""
    base = float(cfg["rope_theta"])
    dim = rotary_dim(cfg)
    max_pos = cfg["max_position_embeddings"]
    factor = float(cfg["rope_scaling"]["factor"])
    seq_len = seq_len if seq_len is not None and seq_len > max_pos else max_pos
    base = base * ((factor * seq_len / max_pos) - (factor - 1)) ** (dim / (dim - 2))
    return _base_inv_freq(base, dim), 1.0


def yarn_parameters(cfg: dict, seq_len: int | None = None) -> tuple[np.ndarray, float]:
    """_compute_yarn_parameters (v4.57.1), YaRN (arXiv:2309.00071):
    - when rope_scaling has original_max_position_embeddings, factor := max_position_embeddings /
      original (the DeepSeek-V3 note in that function) and the correction range uses the original length;
    - attention factor: rope_scaling.attention_factor, else get_mscale(factor, mscale) /
      get_mscale(factor, mscale_all_dim) when both are set, else 0.1 ln(factor) + 1 (1 when factor <= 1);
    - beta_fast 32 / beta_slow 1 by default; the correction range is floored/ceiled unless
      rope_scaling.truncate is false, then clamped to [0, dim - 1];
    - inv_freq = interp * (1 - e) + extrap * e, with e = 1 - clamp((j - low) / (high - low), 0, 1)."""
    rs = cfg["rope_scaling"]
    base = float(cfg["rope_theta"])
    dim = rotary_dim(cfg)
    factor = float(rs["factor"])
    attention_factor = rs.get("attention_factor")
    mscale = rs.get("mscale")
    mscale_all_dim = rs.get("mscale_all_dim")
    if "original_max_position_embeddings" in rs and rs["original_max_position_embeddings"] is not None:
        original_max = rs["original_max_position_embeddings"]
        factor = cfg["max_position_embeddings"] / original_max
    else:
        original_max = cfg["max_position_embeddings"]

    def get_mscale(scale: float, m: float = 1.0) -> float:
        return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

    if attention_factor is None:
        if mscale and mscale_all_dim:
            attention_factor = get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim)
        else:
            attention_factor = get_mscale(factor)
    beta_fast = rs.get("beta_fast") or 32
    beta_slow = rs.get("beta_slow") or 1

    def correction_dim(num_rotations: float) -> float:
        return (dim * math.log(original_max / (num_rotations * 2 * math.pi))) / (2 * math.log(base))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if rs.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001  # linear_ramp_factor: "Prevent singularity"
    ramp = np.clip((np.arange(dim // 2, dtype=np.float64) - low) / (high - low), 0.0, 1.0)
    extrapolation_factor = 1.0 - ramp
    pos_freqs = base ** (np.arange(0, dim, 2, dtype=np.float64) / dim)
    inv_extrap = 1.0 / pos_freqs
    inv_interp = 1.0 / (factor * pos_freqs)
    inv_freq = inv_interp * (1 - extrapolation_factor) + inv_extrap * extrapolation_factor
    return inv_freq, float(attention_factor)


def longrope_parameters(cfg: dict, seq_len: int | None = None) -> tuple[np.ndarray, float]:
    """_compute_longrope_parameters (v4.57.1), LongRoPE / Phi-3 "su":
    - with a top-level original_max_position_embeddings (Phi3Config), factor := max_position_embeddings /
      original_max_position_embeddings, else rope_scaling.factor and original := max_position_embeddings;
    - attention factor: rope_scaling.attention_factor, else 1 when factor <= 1, else
      sqrt(1 + ln(factor) / ln(original));
    - inv_freq = 1 / (ext * base^(2j/dim)) with ext = long_factor when seq_len > original, else short_factor."""
    rs = cfg["rope_scaling"]
    base = float(cfg["rope_theta"])
    dim = rotary_dim(cfg)
    factor = rs.get("factor")
    attention_factor = rs.get("attention_factor")
    if cfg.get("original_max_position_embeddings"):
        original_max = cfg["original_max_position_embeddings"]
        factor = cfg["max_position_embeddings"] / original_max
    else:
        original_max = cfg["max_position_embeddings"]
    if attention_factor is None:
        attention_factor = 1.0 if factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(original_max))
    ext = np.asarray(rs["long_factor"] if seq_len and seq_len > original_max else rs["short_factor"], dtype=np.float64)
    if ext.shape != (dim // 2,):
        raise ValueError(f"longrope factors must have rotary_dim/2 = {dim // 2} entries, got {ext.shape}")
    inv_freq = 1.0 / (ext * base ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    return inv_freq, float(attention_factor)


def llama3_parameters(cfg: dict, seq_len: int | None = None) -> tuple[np.ndarray, float]:
    """_compute_llama3_parameters (v4.57.1), Llama 3.1 frequency-dependent scaling:
    wavelen = 2 pi / inv_freq; wavelen > old_len / low_freq_factor: inv_freq / factor;
    wavelen < old_len / high_freq_factor: unchanged; between: (1 - s) inv_freq / factor + s inv_freq with
    s = (old_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)."""
    rs = cfg["rope_scaling"]
    inv_freq, att = default_parameters(cfg)
    factor = float(rs["factor"])
    low_ff = float(rs["low_freq_factor"])
    high_ff = float(rs["high_freq_factor"])
    old_len = float(rs["original_max_position_embeddings"])
    low_wl = old_len / low_ff
    high_wl = old_len / high_ff
    wavelen = 2 * math.pi / inv_freq
    scaled = np.where(wavelen > low_wl, inv_freq / factor, inv_freq)
    smooth = (old_len / wavelen - low_ff) / (high_ff - low_ff)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < high_wl) & ~(wavelen > low_wl)
    return np.where(medium, smoothed, scaled), att


ROPE_INIT_FUNCTIONS = {
    "default": default_parameters,
    "linear": linear_parameters,
    "dynamic": dynamic_parameters,
    "yarn": yarn_parameters,
    "longrope": longrope_parameters,
    "llama3": llama3_parameters,
}


def rotary_tables(cfg: dict, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """cos, sin [T, rotary_dim] for positions 0..T-1 of a freshly loaded model's first forward call.

    The init call (`rope_init_fn(config)`, seq_len None) fixes `attention_scaling`; the
    `dynamic_rope_update` decorator then re-derives inv_freq from max(position_ids) + 1 = T:
    "dynamic" recomputes it when T > max_seq_len_cached (= max_position_embeddings on a fresh model);
    "longrope" switches to the long factors (computed with seq_len = original + 1) when
    T > original_max_position_embeddings, keeping the init attention factor. cos/sin are
    cat(freqs, freqs) times attention_scaling (LlamaRotaryEmbedding.forward)."""
    kind = rope_type(cfg)
    fn = ROPE_INIT_FUNCTIONS[kind]
    inv_freq, attention_scaling = fn(cfg, None)
    if kind == "dynamic" and seq_len > cfg["max_position_embeddings"]:
        inv_freq, _ = fn(cfg, seq_len)
    if kind == "longrope":
        original = cfg.get("original_max_position_embeddings") or cfg["max_position_embeddings"]
        if seq_len > original:
            inv_freq, _ = fn(cfg, original + 1)
    positions = np.arange(seq_len, dtype=np.float64)
    freqs = np.outer(positions, inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)
    return np.cos(emb) * attention_scaling, np.sin(emb) * attention_scaling


def rotate_half(x: np.ndarray) -> np.ndarray:
    """modeling_llama.py rotate_half: [-x2, x1] over the two halves of the last axis."""
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def apply_rotary(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """apply_rotary_pos_emb on x [..., T, head_dim]; with a partial rotary width (cos narrower than the
    head, as in modeling_gpt_neox.py / modeling_phi3.py) only the first rotary_dim dims rotate."""
    r = cos.shape[-1]
    rot, rest = x[..., :r], x[..., r:]
    rot = rot * cos + rotate_half(rot) * sin
    return np.concatenate([rot, rest], axis=-1) if rest.shape[-1] else rot
