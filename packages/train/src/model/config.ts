/** Activation of the MLP (Hugging Face `activation_function` names). */
export type Activation = 'gelu' | 'gelu_new' | 'relu';

/** How positions enter the model (Gu et al. 2025, sec. 5). */
export type PositionEncoding = 'learned' | 'none' | 'sinusoidal' | 'rope' | 'alibi';
/** Pre-norm (GPT-2: x + f(norm(x))) or post-norm (x = norm(x + f(x)), Vaswani et al.). */
export type NormPlacement = 'pre' | 'post';
export type NormKind = 'layernorm' | 'rmsnorm';
/**
 * Attention operation (Gu et al. 2025, sec. 7, table 4): `softmax`; `sigmoid` = sigmoid(q k^T / sqrt(d_h))
 * without normalisation; `sigmoid_norm` = the same divided by its causal row sum; `elu1` = linear
 * attention with kernel phi(x) = elu(x) + 1, phi(q) phi(k)^T over its causal row sum.
 */
export type AttentionKind = 'softmax' | 'sigmoid' | 'sigmoid_norm' | 'elu1';
/** Extra key/value slot every query can attend (Gu et al. 2025, sec. 7): `kv` = learnable k* and v*; `k` = k* with v* = 0. */
export type KvBias = 'none' | 'kv' | 'k';

/**
 * A decoder-only transformer in the Hugging Face GPT-2 layout. Field names mirror `GPT2Config`
 * in camelCase; `toHfConfig` writes the snake_case file.
 */
export interface ModelConfig {
  /** Number of token ids (embedding rows; the tied LM head has as many outputs). */
  readonly vocabSize: number;
  /** Rows of the learned position table = longest sequence the model reads. */
  readonly nPositions: number;
  /** Residual width d. */
  readonly nEmbd: number;
  /** Number of transformer blocks. */
  readonly nLayer: number;
  /** Attention heads per block; nEmbd must be divisible by it. */
  readonly nHead: number;
  /** MLP hidden width; null means 4 * nEmbd (GPT-2's default). */
  readonly nInner: number | null;
  /** `gelu` = exact erf form (torch default), `gelu_new` = tanh approximation (GPT-2), `relu`. */
  readonly activation: Activation;
  /** LayerNorm epsilon (GPT-2: 1e-5). */
  readonly layerNormEpsilon: number;
  /** Id of the beginning-of-sequence token (GPT-2 convention: eos = bos). */
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  // Sink-emergence variants; the defaults give plain GPT-2 (see packages/train/README.md).
  /** Default `learned` (GPT-2 `wpe`). */
  readonly positionEncoding: PositionEncoding;
  /** Default `pre`. */
  readonly normPlacement: NormPlacement;
  /** Default `layernorm`; `rmsnorm` has gains only (no biases). */
  readonly norm: NormKind;
  /** Default `softmax`. */
  readonly attention: AttentionKind;
  /** Prepend one learnable embedding (`transformer.sink_token`) to every sequence (Gu et al. sec. 7). */
  readonly sinkToken: boolean;
  /** Default `none`. */
  readonly kvBias: KvBias;
  /** RoPE base (only with positionEncoding `rope`). */
  readonly ropeTheta: number;
}

/** The variant fields and their GPT-2 values. */
export const GPT2_VARIANT = {
  positionEncoding: 'learned',
  normPlacement: 'pre',
  norm: 'layernorm',
  attention: 'softmax',
  sinkToken: false,
  kvBias: 'none',
  ropeTheta: 10000,
} as const satisfies Partial<ModelConfig>;

/** True when the config is plain GPT-2 (a `model_type: "gpt2"` checkpoint). */
export function isGpt2(config: ModelConfig): boolean {
  return (Object.keys(GPT2_VARIANT) as (keyof typeof GPT2_VARIANT)[]).every((k) => k === 'ropeTheta' || config[k] === GPT2_VARIANT[k]);
}

export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  vocabSize: 65,
  nPositions: 64,
  nEmbd: 128,
  nLayer: 2,
  nHead: 4,
  nInner: null,
  activation: 'gelu',
  layerNormEpsilon: 1e-5,
  bosTokenId: 64,
  eosTokenId: 64,
  ...GPT2_VARIANT,
};

/** MLP width, resolving GPT-2's `n_inner: null`. */
export function innerWidth(config: ModelConfig): number {
  return config.nInner ?? 4 * config.nEmbd;
}

/** Fill defaults and check every field; errors name the field. */
export function normaliseModelConfig(partial: Partial<ModelConfig>, where = 'model config'): ModelConfig {
  const config: ModelConfig = { ...DEFAULT_MODEL_CONFIG, ...partial };
  const positiveInts: (keyof ModelConfig)[] = ['vocabSize', 'nPositions', 'nEmbd', 'nLayer', 'nHead'];
  for (const key of positiveInts) {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${where}: '${key}' = ${JSON.stringify(v)} must be a positive integer`);
  }
  if (config.nInner !== null && (!Number.isInteger(config.nInner) || config.nInner < 1)) throw new Error(`${where}: 'nInner' = ${config.nInner} must be a positive integer or null`);
  if (config.nEmbd % config.nHead !== 0) throw new Error(`${where}: 'nEmbd' = ${config.nEmbd} is not divisible by 'nHead' = ${config.nHead}`);
  if (!['gelu', 'gelu_new', 'relu'].includes(config.activation)) throw new Error(`${where}: 'activation' = ${JSON.stringify(config.activation)} must be one of gelu, gelu_new, relu`);
  const choices: [keyof ModelConfig, readonly unknown[]][] = [
    ['positionEncoding', ['learned', 'none', 'sinusoidal', 'rope', 'alibi']],
    ['normPlacement', ['pre', 'post']],
    ['norm', ['layernorm', 'rmsnorm']],
    ['attention', ['softmax', 'sigmoid', 'sigmoid_norm', 'elu1']],
    ['sinkToken', [true, false]],
    ['kvBias', ['none', 'kv', 'k']],
  ];
  for (const [key, valid] of choices) {
    if (!valid.includes(config[key])) throw new Error(`${where}: '${key}' = ${JSON.stringify(config[key])} must be one of ${valid.join(', ')}`);
  }
  if (config.positionEncoding === 'rope' && (config.nEmbd / config.nHead) % 2 !== 0) throw new Error(`${where}: RoPE needs an even head size (nEmbd / nHead = ${config.nEmbd / config.nHead})`);
  if (!(config.ropeTheta > 0)) throw new Error(`${where}: 'ropeTheta' = ${config.ropeTheta} must be > 0`);
  if (!(config.layerNormEpsilon > 0)) throw new Error(`${where}: 'layerNormEpsilon' = ${config.layerNormEpsilon} must be > 0`);
  for (const key of ['bosTokenId', 'eosTokenId'] as const) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 0 || v >= config.vocabSize) throw new Error(`${where}: '${key}' = ${v} must be an id in [0, ${config.vocabSize})`);
  }
  return config;
}

/**
 * The `config.json` a `GPT2LMHeadModel` reads (tied embeddings, no dropout at inference). A variant
 * that GPT-2 lacks is written as `model_type: "sinkscope"`: the GPT-2 fields plus the variant fields
 * (documented in packages/train/README.md).
 */
export function toHfConfig(config: ModelConfig): Record<string, unknown> {
  const variant = isGpt2(config)
    ? {}
    : {
        architectures: ['SinkscopeLMHeadModel'],
        model_type: 'sinkscope',
        position_encoding: config.positionEncoding,
        norm_placement: config.normPlacement,
        norm_type: config.norm,
        attention_op: config.attention,
        learnable_sink_token: config.sinkToken,
        kv_bias: config.kvBias,
        rope_theta: config.ropeTheta,
      };
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: config.vocabSize,
    n_positions: config.nPositions,
    n_ctx: config.nPositions,
    n_embd: config.nEmbd,
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_inner: config.nInner,
    activation_function: config.activation,
    layer_norm_epsilon: config.layerNormEpsilon,
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenId,
    tie_word_embeddings: true,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    initializer_range: 0.02,
    torch_dtype: 'float32',
    ...variant,
  };
}

/** Read a GPT-2 (or sinkscope variant) `config.json` (defaults from transformers v4.44.2 `GPT2Config`). */
export function fromHfConfig(json: Record<string, unknown>, where = 'config.json'): ModelConfig {
  if (json.model_type !== 'gpt2' && json.model_type !== 'sinkscope') throw new Error(`${where}: model_type ${JSON.stringify(json.model_type)} is not "gpt2" or "sinkscope"`);
  const variant: Partial<ModelConfig> =
    json.model_type === 'sinkscope'
      ? {
          positionEncoding: json.position_encoding as PositionEncoding,
          normPlacement: json.norm_placement as NormPlacement,
          norm: json.norm_type as NormKind,
          attention: json.attention_op as AttentionKind,
          sinkToken: json.learnable_sink_token as boolean,
          kvBias: json.kv_bias as KvBias,
          ropeTheta: json.rope_theta as number,
        }
      : {};
  if (json.tie_word_embeddings === false) throw new Error(`${where}: tie_word_embeddings false is not supported (the LM head is tied to wte)`);
  if (json.scale_attn_weights === false || json.scale_attn_by_inverse_layer_idx === true) {
    throw new Error(`${where}: only scale_attn_weights true and scale_attn_by_inverse_layer_idx false are supported`);
  }
  const num = (key: string, fallback: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== 'number') throw new Error(`${where}: '${key}' = ${JSON.stringify(v)} is not a number`);
    return v;
  };
  return normaliseModelConfig(
    {
      vocabSize: num('vocab_size', 50257),
      nPositions: num('n_positions', 1024),
      nEmbd: num('n_embd', 768),
      nLayer: num('n_layer', 12),
      nHead: num('n_head', 12),
      nInner: (json.n_inner as number | null | undefined) ?? null,
      activation: (json.activation_function ?? 'gelu_new') as ModelConfig['activation'],
      layerNormEpsilon: num('layer_norm_epsilon', 1e-5),
      bosTokenId: num('bos_token_id', 50256),
      eosTokenId: num('eos_token_id', 50256),
      ...variant,
    },
    where,
  );
}
