#!/usr/bin/env python3
"""Generate (or verify) the tiny random checkpoints of packages/model-io/test/fixtures/hf-extra with the
outputs of this float64 reference of transformers v4.57.1.

  python3 packages/model-io/tools/reference/generate.py            # write every fixture
  python3 packages/model-io/tools/reference/generate.py --verify   # regenerate in a temp dir: byte-identical?
                                                                     # and the stored files re-run to their expected outputs
  python3 packages/model-io/tools/reference/generate.py --report   # how much each exercised feature moves the logits
  python3 packages/model-io/tools/reference/generate.py --validate-shared [DIR]   # against transformers' own goldens

Needs only Python 3 and numpy (written against numpy 2.4; the random streams are numpy's PCG64).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

from families import compare, forward, load_checkpoint  # noqa: E402
from fixtures import SPECS, check_rotary, config_for, draw_inputs, draw_weights, tensor_shapes  # noqa: E402
from hf_config import TRANSFORMERS_VERSION, generation_config_json, resolve, to_json  # noqa: E402
from moe import top_k_margin  # noqa: E402
from safetensors_io import bf16_to_f32, read_safetensors, to_bf16, write_safetensors  # noqa: E402

OUT_DIR = os.path.normpath(os.path.join(HERE, "../../test/fixtures/hf-extra"))
SHARED_DIR = os.path.normpath(os.path.join(HERE, "../../../../../shared/fixtures/hf"))
MIN_ROUTER_MARGIN = 1e-3
FINAL_NORM = {"bloom": "transformer.ln_f", "gpt_neox": "gpt_neox.final_layer_norm"}


def build_fixture(name: str) -> dict:
    """Config, BF16 weights, inputs and float64 outputs of one fixture (not yet written)."""
    cfg = config_for(name)
    check_rotary(cfg)
    ids = draw_inputs(name, cfg)
    for attempt in range(50):
        raw = draw_weights(name, cfg, attempt)
        stored = {k: to_bf16(v) for k, v in raw.items()}
        weights = {k: bf16_to_f32(b).astype(np.float64) for k, b in stored.items()}
        # the forward reads the config as a loader would: the JSON text, then the class defaults
        resolved = resolve(json.loads(to_json(cfg, dtype="bfloat16")))
        out = forward(resolved, weights, ids)
        margin = min((top_k_margin(p, resolved["num_experts_per_tok"]) for p in out.get("router_probs", [])), default=np.inf)
        if margin >= MIN_ROUTER_MARGIN:
            return {"cfg": cfg, "stored": stored, "ids": ids, "out": out, "attempt": attempt, "router_margin": margin}
    raise RuntimeError(f"{name}: no draw with a top-k router margin >= {MIN_ROUTER_MARGIN}")


def write_fixture(name: str, fx: dict, root: str) -> None:
    cfg, out, ids = fx["cfg"], fx["out"], fx["ids"]
    folder = os.path.join(root, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        f.write(to_json(cfg, dtype="bfloat16"))
    with open(os.path.join(folder, "generation_config.json"), "w") as f:
        f.write(generation_config_json(cfg))
    write_safetensors(os.path.join(folder, "model.safetensors"), fx["stored"], {"format": "pt"})
    expected = {"input_ids": ids, "logits": out["logits"].astype(np.float32)}
    for i, h in enumerate(out["hidden_states"]):
        expected[f"hidden_states.{i}"] = h.astype(np.float32)
    for i, a in enumerate(out["attentions"]):
        expected[f"attentions.{i}"] = a.astype(np.float32)
    for i, r in enumerate(out.get("router_probs", [])):
        expected[f"router_probs.{i}"] = r.reshape(ids.shape[0], ids.shape[1], -1).astype(np.float32)
    bos = cfg.get("bos_token_id")
    meta = {
        "fixture": name,
        "model_type": cfg["model_type"],
        "generator": f"sinkscope tools/reference (float64 numpy {np.__version__}) following transformers v{TRANSFORMERS_VERSION}",
        "num_hidden_states": str(len(out["hidden_states"])),
        "last_hidden_state_is_post_final_norm": "true",
        "final_norm_module": FINAL_NORM.get(cfg["model_type"], "model.norm"),
        "first_token_is_bos": "true" if bos is not None and 0 <= bos < cfg["vocab_size"] else "false",
        "weights_dtype": "bfloat16",
        "compute_dtype": "float64",
    }
    if "router_probs" in out:
        meta["router_probs"] = "softmax of the router logits over all experts, [S, T, num_local_experts], before top-k"
        meta["router_top_k_min_margin"] = f"{fx['router_margin']:.3e}"
    write_safetensors(os.path.join(folder, "expected.safetensors"), expected, meta)


def generate(root: str, names: list[str], quiet: bool = False) -> None:
    for name in names:
        fx = build_fixture(name)
        write_fixture(name, fx, root)
        if not quiet:
            size = sum(os.path.getsize(os.path.join(root, name, f)) for f in os.listdir(os.path.join(root, name)))
            extra = f", router top-2 margin {fx['router_margin']:.2e}" if "router_probs" in fx["out"] else ""
            print(f"{name:24s} {size / 1024:7.1f} KiB{extra}", flush=True)


def verify(root: str, names: list[str]) -> bool:
    """Byte-identical regeneration, and the stored checkpoint (read back through config.json and
    model.safetensors) reproduces its expected.safetensors."""
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp, names, quiet=True)
        for name in names:
            for fname in sorted(os.listdir(os.path.join(tmp, name))):
                stored = os.path.join(root, name, fname)
                same = os.path.exists(stored) and filecmp.cmp(stored, os.path.join(tmp, name, fname), shallow=False)
                if not same:
                    print(f"{name}/{fname}: differs from a fresh generation")
                    ok = False
    for name in names:
        folder = os.path.join(root, name)
        cfg, weights = load_checkpoint(folder)
        expected, _ = read_safetensors(os.path.join(folder, "expected.safetensors"))
        shapes = tensor_shapes(cfg)
        if set(shapes) != set(weights) or any(tuple(weights[k].shape) != shapes[k] for k in shapes):
            print(f"{name}: model.safetensors names/shapes differ from the model class's parameters")
            ok = False
        diffs = compare(forward(cfg, weights, expected["input_ids"]), expected)
        worst = max(diffs.values())
        print(f"{name:24s} read back: max scaled |diff| {worst:.1e} over {len(diffs)} tensors")
        ok &= worst < 1e-6
    print("verify:", "OK" if ok else "FAILED")
    return ok


def _ablations(cfg: dict) -> dict[str, dict]:
    """Config edits that switch off what a fixture exercises."""
    mt = cfg["model_type"]
    out: dict[str, dict] = {}
    if isinstance(cfg.get("rope_scaling"), dict):
        out["no rope_scaling"] = dict(cfg, rope_scaling=None)
        if cfg["rope_scaling"].get("type") == "longrope":
            rs = cfg["rope_scaling"]
            out["short/long factors swapped"] = dict(cfg, rope_scaling=dict(rs, short_factor=rs["long_factor"], long_factor=rs["short_factor"]))
    if cfg.get("sliding_window") is not None:
        out["no sliding window"] = dict(cfg, sliding_window=None)
        out["window off by one (w+1)"] = dict(cfg, sliding_window=cfg["sliding_window"] + 1)
    if mt in ("gemma2", "gemma3_text"):
        out["scaling head_dim^-0.5"] = dict(cfg, query_pre_attn_scalar=cfg["head_dim"])
    if cfg.get("attn_logit_softcapping") is not None:
        out["no attention soft-cap"] = dict(cfg, attn_logit_softcapping=None)
    if cfg.get("final_logit_softcapping") is not None:
        out["no final soft-cap"] = dict(cfg, final_logit_softcapping=None)
    if mt == "gemma3_text":
        out["local layers on rope_theta"] = dict(cfg, rope_local_base_freq=cfg["rope_theta"])
    return out


def report(names: list[str]) -> None:
    """Max |delta logit| when each exercised feature is switched off (logits are of magnitude ~1-5)."""
    for name in names:
        fx = build_fixture(name)
        cfg = resolve(json.loads(to_json(fx["cfg"], dtype="bfloat16")))
        weights = {k: bf16_to_f32(b).astype(np.float64) for k, b in fx["stored"].items()}
        base = fx["out"]["logits"]
        for label, edited in _ablations(cfg).items():
            d = np.max(np.abs(forward(edited, weights, fx["ids"])["logits"] - base))
            print(f"{name:24s} {label:36s} max |delta logit| {d:.3g}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verify", action="store_true", help="check the stored fixtures instead of writing")
    ap.add_argument("--report", action="store_true", help="print how much each exercised feature moves the logits")
    ap.add_argument("--validate-shared", nargs="?", const=SHARED_DIR, metavar="DIR", help="compare with transformers' goldens")
    ap.add_argument("--out", default=OUT_DIR, help=f"fixture root (default {OUT_DIR})")
    ap.add_argument("names", nargs="*", help="fixtures (default: all)")
    args = ap.parse_args()
    names = args.names or list(SPECS)
    unknown = [n for n in names if n not in SPECS]
    if unknown:
        ap.error(f"unknown fixtures {unknown}; known: {', '.join(SPECS)}")
    if args.validate_shared:
        from validate_shared import validate

        res = validate(args.validate_shared)
        return 0 if max(max(v.values()) for v in res.values()) < 1e-5 else 1
    if args.report:
        report(names)
        return 0
    if args.verify:
        return 0 if verify(args.out, names) else 1
    generate(args.out, names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
