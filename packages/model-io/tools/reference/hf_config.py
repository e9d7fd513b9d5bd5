"""config.json as transformers v4.57.1 reads and writes it.

CLASS_DEFAULTS holds each config class's `__init__` defaults (configuration_<family>.py, v4.57.1);
`build` applies the derived attributes that `__init__` sets, `to_json` writes what
`PretrainedConfig.to_json_string(use_diff=True)` (configuration_utils.py, `to_diff_dict`) writes: every
class attribute (they are not PretrainedConfig attributes), the PretrainedConfig attributes (token ids,
tie_word_embeddings) only when they differ from the PretrainedConfig default or from the class default,
plus architectures, model_type, dtype (4.56+ writes "dtype", not "torch_dtype") and
transformers_version; keys sorted, 2-space indent.
"""

from __future__ import annotations

import json

TRANSFORMERS_VERSION = "4.57.1"

# PretrainedConfig defaults of the attributes families pass through to it
BASE_DEFAULTS = {"bos_token_id": None, "eos_token_id": None, "pad_token_id": None, "tie_word_embeddings": True}

CLASS_DEFAULTS: dict[str, dict] = {
    "llama": dict(vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                  num_key_value_heads=None, hidden_act="silu", max_position_embeddings=2048, initializer_range=0.02,
                  rms_norm_eps=1e-6, use_cache=True, pretraining_tp=1, rope_theta=10000.0, rope_scaling=None,
                  attention_bias=False, attention_dropout=0.0, mlp_bias=False, head_dim=None,
                  pad_token_id=None, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False),
    "mistral": dict(vocab_size=32000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                    num_key_value_heads=8, head_dim=None, hidden_act="silu", max_position_embeddings=4096 * 32,
                    initializer_range=0.02, rms_norm_eps=1e-6, use_cache=True, rope_theta=10000.0, sliding_window=4096,
                    attention_dropout=0.0, pad_token_id=None, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False),
    "mixtral": dict(vocab_size=32000, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                    num_key_value_heads=8, head_dim=None, hidden_act="silu", max_position_embeddings=4096 * 32,
                    initializer_range=0.02, rms_norm_eps=1e-5, use_cache=True, rope_theta=1e6, sliding_window=None,
                    attention_dropout=0.0, num_experts_per_tok=2, num_local_experts=8, output_router_logits=False,
                    router_aux_loss_coef=0.001, router_jitter_noise=0.0,
                    pad_token_id=None, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False),
    "qwen2": dict(vocab_size=151936, hidden_size=4096, intermediate_size=22016, num_hidden_layers=32, num_attention_heads=32,
                  num_key_value_heads=32, hidden_act="silu", max_position_embeddings=32768, initializer_range=0.02,
                  rms_norm_eps=1e-6, use_cache=True, rope_theta=10000.0, rope_scaling=None, use_sliding_window=False,
                  sliding_window=4096, max_window_layers=28, layer_types=None, attention_dropout=0.0,
                  tie_word_embeddings=False),
    "qwen3": dict(vocab_size=151936, hidden_size=4096, intermediate_size=22016, num_hidden_layers=32, num_attention_heads=32,
                  num_key_value_heads=32, head_dim=128, hidden_act="silu", max_position_embeddings=32768,
                  initializer_range=0.02, rms_norm_eps=1e-6, use_cache=True, rope_theta=10000.0, rope_scaling=None,
                  attention_bias=False, use_sliding_window=False, sliding_window=4096, max_window_layers=28,
                  layer_types=None, attention_dropout=0.0, tie_word_embeddings=False),
    "gemma": dict(vocab_size=256000, hidden_size=3072, intermediate_size=24576, num_hidden_layers=28, num_attention_heads=16,
                  num_key_value_heads=16, head_dim=256, hidden_act="gelu_pytorch_tanh", hidden_activation=None,
                  max_position_embeddings=8192, initializer_range=0.02, rms_norm_eps=1e-6, use_cache=True,
                  rope_theta=10000.0, attention_bias=False, attention_dropout=0.0,
                  pad_token_id=0, eos_token_id=1, bos_token_id=2, tie_word_embeddings=True),
    "gemma2": dict(vocab_size=256000, hidden_size=2304, intermediate_size=9216, num_hidden_layers=26, num_attention_heads=8,
                   num_key_value_heads=4, head_dim=256, hidden_activation="gelu_pytorch_tanh", max_position_embeddings=8192,
                   initializer_range=0.02, rms_norm_eps=1e-6, use_cache=True, rope_theta=10000.0, attention_bias=False,
                   attention_dropout=0.0, query_pre_attn_scalar=256, sliding_window=4096, layer_types=None,
                   final_logit_softcapping=30.0, attn_logit_softcapping=50.0, cache_implementation="hybrid",
                   pad_token_id=0, eos_token_id=1, bos_token_id=2, tie_word_embeddings=True),
    "gemma3_text": dict(vocab_size=262208, hidden_size=2304, intermediate_size=9216, num_hidden_layers=26, num_attention_heads=8,
                        num_key_value_heads=4, head_dim=256, hidden_activation="gelu_pytorch_tanh",
                        max_position_embeddings=131072, initializer_range=0.02, rms_norm_eps=1e-6, use_cache=True,
                        rope_theta=1_000_000.0, attention_bias=False, attention_dropout=0.0, query_pre_attn_scalar=256,
                        sliding_window=4096, layer_types=None, final_logit_softcapping=None, attn_logit_softcapping=None,
                        rope_scaling=None, rope_local_base_freq=10_000.0, use_bidirectional_attention=False,
                        _sliding_window_pattern=6,
                        pad_token_id=0, eos_token_id=1, bos_token_id=2, tie_word_embeddings=True),
    "phi3": dict(vocab_size=32064, hidden_size=3072, intermediate_size=8192, num_hidden_layers=32, num_attention_heads=32,
                 num_key_value_heads=None, resid_pdrop=0.0, embd_pdrop=0.0, attention_dropout=0.0, hidden_act="silu",
                 max_position_embeddings=4096, original_max_position_embeddings=4096, initializer_range=0.02,
                 rms_norm_eps=1e-5, use_cache=True, rope_theta=10000.0, rope_scaling=None, partial_rotary_factor=1.0,
                 sliding_window=None, bos_token_id=1, eos_token_id=32000, pad_token_id=32000, tie_word_embeddings=False),
    "olmo2": dict(vocab_size=50304, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                  num_key_value_heads=None, hidden_act="silu", max_position_embeddings=2048, initializer_range=0.02,
                  use_cache=True, rope_theta=10000.0, rope_scaling=None, attention_bias=False, attention_dropout=0.0,
                  rms_norm_eps=1e-5, pad_token_id=1, bos_token_id=None, eos_token_id=50279, tie_word_embeddings=False),
    "bloom": dict(vocab_size=250880, hidden_size=64, n_layer=2, n_head=8, layer_norm_epsilon=1e-5, initializer_range=0.02,
                  use_cache=True, apply_residual_connection_post_layernorm=False, hidden_dropout=0.0,
                  attention_dropout=0.0, pretraining_tp=1, slow_but_exact=False,
                  bos_token_id=1, eos_token_id=2, tie_word_embeddings=True),
    "gpt_neox": dict(vocab_size=50432, hidden_size=6144, num_hidden_layers=44, num_attention_heads=64,
                     intermediate_size=24576, hidden_act="gelu", rotary_pct=0.25, rotary_emb_base=10000,
                     attention_dropout=0.0, hidden_dropout=0.0, classifier_dropout=0.1, max_position_embeddings=2048,
                     initializer_range=0.02, layer_norm_eps=1e-5, use_cache=True, use_parallel_residual=True,
                     rope_scaling=None, attention_bias=True, bos_token_id=0, eos_token_id=2, tie_word_embeddings=False),
    "gpt2": dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12, n_inner=None,
                 activation_function="gelu_new", resid_pdrop=0.1, embd_pdrop=0.1, attn_pdrop=0.1,
                 layer_norm_epsilon=1e-5, initializer_range=0.02, scale_attn_weights=True,
                 bos_token_id=50256, eos_token_id=50256, tie_word_embeddings=True),
}

ARCHITECTURES = {
    "llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM", "mixtral": "MixtralForCausalLM",
    "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM", "gemma": "GemmaForCausalLM",
    "gemma2": "Gemma2ForCausalLM", "gemma3_text": "Gemma3ForCausalLM", "phi3": "Phi3ForCausalLM",
    "olmo2": "Olmo2ForCausalLM", "bloom": "BloomForCausalLM", "gpt_neox": "GPTNeoXForCausalLM",
    "gpt2": "GPT2LMHeadModel",
}


def _derive(model_type: str, c: dict) -> dict:
    """The attributes each config class's __init__ (v4.57.1) derives from its arguments."""
    if "num_key_value_heads" in c and c["num_key_value_heads"] is None:
        c["num_key_value_heads"] = c["num_attention_heads"]
    if model_type in ("llama", "mistral", "mixtral") and c.get("head_dim") is None:
        c["head_dim"] = c["hidden_size"] // c["num_attention_heads"]
    if isinstance(c.get("rope_scaling"), dict) and "type" in c["rope_scaling"] and model_type != "phi3":
        # LlamaConfig & co.: BC copy of the legacy "type" key into "rope_type"
        c["rope_scaling"] = dict(c["rope_scaling"], rope_type=c["rope_scaling"]["type"])
    if model_type == "phi3" and isinstance(c.get("rope_scaling"), dict) and c["rope_scaling"].get("type") in ("su", "yarn"):
        # Phi3Config._rope_scaling_adjustment
        c["rope_scaling"] = dict(c["rope_scaling"], type="longrope")
    if model_type in ("qwen2", "qwen3"):
        # Qwen2Config / Qwen3Config: sliding_window only when use_sliding_window; layers from
        # max_window_layers on slide
        c["sliding_window"] = c["sliding_window"] if c["use_sliding_window"] else None
        if c.get("layer_types") is None:
            c["layer_types"] = [
                "sliding_attention" if c["sliding_window"] is not None and i >= c["max_window_layers"] else "full_attention"
                for i in range(c["num_hidden_layers"])
            ]
    if model_type == "gemma2" and c.get("layer_types") is None:
        # Gemma2Config: even layers (0, 2, ...) slide
        c["layer_types"] = ["sliding_attention" if (i + 1) % 2 else "full_attention" for i in range(c["num_hidden_layers"])]
    if model_type == "gemma3_text" and c.get("layer_types") is None:
        # Gemma3TextConfig: every _sliding_window_pattern-th layer is global
        pat = c["_sliding_window_pattern"]
        c["layer_types"] = ["sliding_attention" if (i + 1) % pat else "full_attention" for i in range(c["num_hidden_layers"])]
    if model_type == "gpt_neox":
        # GPTNeoXConfig.__init__: partial_rotary_factor = rotary_pct, rope_theta = rotary_emb_base
        c["partial_rotary_factor"] = c["rotary_pct"]
        c["rope_theta"] = c["rotary_emb_base"]
    return c


def build(model_type: str, **values) -> dict:
    """A config as the class would hold it after __init__(**values)."""
    if model_type not in CLASS_DEFAULTS:
        raise ValueError(f"unknown model_type {model_type!r}")
    unknown = set(values) - set(CLASS_DEFAULTS[model_type])
    if unknown:
        raise ValueError(f"{model_type}: not attributes of its config class: {sorted(unknown)}")
    c = dict(CLASS_DEFAULTS[model_type])
    c.update(values)
    c = _derive(model_type, c)
    c["model_type"] = model_type
    return c


def resolve(config_json: dict) -> dict:
    """A parsed config.json with the class defaults filled in (what the modeling code sees)."""
    mt = config_json["model_type"]
    c = dict(CLASS_DEFAULTS[mt])
    c.update({k: v for k, v in config_json.items()})
    # derive only what the file does not state already
    derived = _derive(mt, dict(c))
    for k, v in derived.items():
        if k not in config_json:
            c[k] = v
    if mt == "gpt_neox":
        c["partial_rotary_factor"] = c.get("partial_rotary_factor", c["rotary_pct"])
        c["rope_theta"] = c.get("rope_theta", c["rotary_emb_base"])
    return c


def to_json(c: dict, dtype: str = "float32") -> str:
    mt = c["model_type"]
    cls = CLASS_DEFAULTS[mt]
    out: dict = {"architectures": [ARCHITECTURES[mt]], "model_type": mt, "transformers_version": TRANSFORMERS_VERSION, "dtype": dtype}
    for k, v in c.items():
        if k == "model_type":
            continue
        if k in BASE_DEFAULTS:
            if v != BASE_DEFAULTS[k] or v != cls.get(k, BASE_DEFAULTS[k]):
                out[k] = v
        else:
            out[k] = v
    return json.dumps(out, indent=2, sort_keys=True) + "\n"


def generation_config_json(c: dict) -> str:
    """GenerationConfig.from_model_config (v4.57.1) as save_pretrained writes it."""
    out: dict = {"_from_model_config": True, "transformers_version": TRANSFORMERS_VERSION}
    for k in ("bos_token_id", "eos_token_id", "pad_token_id"):
        if c.get(k) is not None:
            out[k] = c[k]
    if c.get("cache_implementation"):
        out["cache_implementation"] = c["cache_implementation"]
    return json.dumps(out, indent=2, sort_keys=True) + "\n"
