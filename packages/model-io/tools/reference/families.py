"""model_type -> float64 forward pass, and loading a checkpoint folder as transformers would."""

from __future__ import annotations

import json
import os

import numpy as np

import bloom
import decoder
import gpt2
import gpt_neox
from hf_config import resolve
from safetensors_io import read_safetensors

FORWARDS = {mt: decoder.forward for mt in decoder.FAMILIES}
FORWARDS.update({"gpt2": gpt2.forward, "gpt_neox": gpt_neox.forward, "bloom": bloom.forward})


def load_checkpoint(folder: str) -> tuple[dict, dict[str, np.ndarray]]:
    """(resolved config, float64 weights) of a folder with config.json and model.safetensors or an
    index with shards; BF16/F32 weights are widened exactly to float64."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = resolve(json.load(f))
    index = os.path.join(folder, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    weights: dict[str, np.ndarray] = {}
    for name in files:
        tensors, _ = read_safetensors(os.path.join(folder, name))
        weights.update({k: v.astype(np.float64) for k, v in tensors.items()})
    return cfg, weights


def forward(cfg: dict, weights: dict[str, np.ndarray], ids: np.ndarray) -> dict:
    mt = cfg["model_type"]
    if mt not in FORWARDS:
        raise ValueError(f"no reference forward for model_type {mt!r} (known: {sorted(FORWARDS)})")
    return FORWARDS[mt](cfg, weights, ids)


def scaled_max_diff(actual: np.ndarray, expected: np.ndarray) -> float:
    """max |a - e| / max(1, max |e|), the measure of packages/model-io/src/testing/hf-fixtures.ts."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        raise ValueError(f"shape {a.shape} vs expected {e.shape}")
    return float(np.max(np.abs(a - e)) / max(1.0, float(np.max(np.abs(e)))))


def compare(out: dict, expected: dict[str, np.ndarray]) -> dict[str, float]:
    """Scaled max |diff| of every golden tensor (logits, hidden_states.i, attentions.l, router_probs.l)."""
    diffs = {"logits": scaled_max_diff(out["logits"], expected["logits"])}
    for i, h in enumerate(out["hidden_states"]):
        diffs[f"hidden_states.{i}"] = scaled_max_diff(h, expected[f"hidden_states.{i}"])
    for i, a in enumerate(out["attentions"]):
        diffs[f"attentions.{i}"] = scaled_max_diff(a, expected[f"attentions.{i}"])
    for i, r in enumerate(out.get("router_probs", [])):
        diffs[f"router_probs.{i}"] = scaled_max_diff(r, expected[f"router_probs.{i}"])
    return diffs
