"""Check this float64 reference against the shared goldens that transformers v4.44.2 itself computed
(../shared/fixtures/hf): prints the max scaled |diff| per fixture and tensor kind."""

from __future__ import annotations

import json
import os
import sys

import numpy as np

from families import FORWARDS, compare, forward, load_checkpoint
from safetensors_io import read_safetensors


def validate(root: str) -> dict[str, dict[str, float]]:
    results = {}
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        exp_path = os.path.join(folder, "expected.safetensors")
        if not os.path.exists(exp_path):
            continue
        with open(os.path.join(folder, "config.json")) as f:
            model_type = json.load(f)["model_type"]
        if model_type not in FORWARDS:
            print(f"{name:24s} skipped (model_type {model_type} is not in this reference)")
            continue
        cfg, weights = load_checkpoint(folder)
        expected, _ = read_safetensors(exp_path)
        out = forward(cfg, weights, expected["input_ids"].astype(np.int64))
        diffs = compare(out, expected)
        kinds = {
            "logits": diffs["logits"],
            "hidden": max(v for k, v in diffs.items() if k.startswith("hidden_states")),
            "attn": max(v for k, v in diffs.items() if k.startswith("attentions")),
        }
        results[name] = kinds
        print(f"{name:24s} logits {kinds['logits']:.2e}  hidden {kinds['hidden']:.2e}  attentions {kinds['attn']:.2e}")
    return results


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.normpath(os.path.join(here, "../../../../../shared/fixtures/hf"))
    root = sys.argv[1] if len(sys.argv) > 1 else default
    res = validate(root)
    worst = max(max(v.values()) for v in res.values())
    print(f"worst scaled |diff| over {len(res)} fixtures: {worst:.2e}")
    sys.exit(0 if worst < 1e-5 else 1)
