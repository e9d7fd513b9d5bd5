import { ConfigReader, familyFor, type ArchSpec, type AttentionOp, type NormKind, type NormPlacement } from '@sinkscope/model-io';

/**
 * The trainer's model description: what a train.json `model` block says, in the trainer's words.
 * It holds no architecture of its own: `toHfConfig` writes it as the checkpoint's config.json and
 * `archOf` reads that back through model-io's family adapter into the ArchSpec the one forward pass
 * (model-io's forward.ts, on both engines) runs, so what is trained is what the pipelines load.
 */

/** Activation of the MLP (Hugging Face `activation_function` names). */
export type Activation = 'gelu' | 'gelu_new' | 'relu' | 'silu';

/** How positions enter the model (Gu et al. 2025, sec. 5). */
export type PositionEncoding = 'learned' | 'none' | 'sinusoidal' | 'rope' | 'alibi';
export type { NormKind, NormPlacement };
/** ArchSpec.attentionOp (Gu et al. 2025, sec. 7, table 4). */
export type AttentionKind = AttentionOp;
/** The extra key/value slot (ArchSpec.attentionSlot): `kv`, `k` (v* = 0), `v` (k* = 0), or none. */
export type KvBias = 'none' | 'kv' | 'k' | 'v';

/**
 * A decoder-only transformer in the Hugging Face GPT-2 layout. Field names mirror `GPT2Config`
 * in camelCase; `toHfConfig` writes the snake_case file.
 */
export interface ModelConfig {
  /** Number of token ids (embedding rows; the LM head has as many outputs). */
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
  /** `gelu` = exact erf form (torch default), `gelu_new` = tanh approximation (GPT-2), `relu`, `silu`. */
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
  /** Gated MLP down(act(gate(x)) * up(x)) (SwiGLU with activation `silu`); default false. */
  readonly gatedMlp: boolean;
  /** Biases on the q/k/v/o and MLP projections (GPT-2: true; Llama-style: false). */
  readonly linearBias: boolean;
  /** LM head tied to the token embeddings (GPT-2: true); false adds `lm_head.weight` [vocab, d]. */
  readonly tieEmbeddings: boolean;
  /** Blocks (0-based) without attention (MLP only). */
  readonly attentionFreeLayers: readonly number[];
  /** Blocks (0-based) without MLP. */
  readonly mlpFreeLayers: readonly number[];
  /** Prefix-LM mask: the first n positions see each other bidirectionally (0 = plain causal). */
  readonly prefixLength: number;
  /** Sliding-window attention: query t sees keys t - w < s <= t (null = full causal). */
  readonly slidingWindow: number | null;
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
  gatedMlp: false,
  linearBias: true,
  tieEmbeddings: true,
  attentionFreeLayers: [],
  mlpFreeLayers: [],
  prefixLength: 0,
  slidingWindow: null,
} as const satisfies Partial<ModelConfig>;

const VARIANT_KEYS = Object.keys(GPT2_VARIANT) as (keyof typeof GPT2_VARIANT)[];

/** True when the config is plain GPT-2 (a `model_type: "gpt2"` checkpoint). */
export function isGpt2(config: ModelConfig): boolean {
  return VARIANT_KEYS.every((k) => k === 'ropeTheta' || JSON.stringify(config[k]) === JSON.stringify(GPT2_VARIANT[k]));
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

function layerList(where: string, key: string, v: unknown, nLayer: number): void {
  if (!Array.isArray(v) || v.some((l) => !Number.isInteger(l) || l < 0 || l >= nLayer) || new Set(v).size !== v.length) {
    throw new Error(`${where}: '${key}' = ${JSON.stringify(v)} must be a list of distinct block indices in 0..${nLayer - 1}`);
  }
}

/** Fill defaults and check every field; errors name the field. */
export function normaliseModelConfig(partial: Partial<ModelConfig>, where = 'model config'): ModelConfig {
  const unknown = Object.keys(partial).filter((k) => !(k in DEFAULT_MODEL_CONFIG));
  if (unknown.length > 0) throw new Error(`${where}: unknown field(s) ${unknown.map((k) => `'${k}'`).join(', ')}; valid: ${Object.keys(DEFAULT_MODEL_CONFIG).join(', ')}`);
  const config: ModelConfig = { ...DEFAULT_MODEL_CONFIG, ...partial };
  const positiveInts: (keyof ModelConfig)[] = ['vocabSize', 'nPositions', 'nEmbd', 'nLayer', 'nHead'];
  for (const key of positiveInts) {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${where}: '${key}' = ${JSON.stringify(v)} must be a positive integer`);
  }
  if (config.nInner !== null && (!Number.isInteger(config.nInner) || config.nInner < 1)) throw new Error(`${where}: 'nInner' = ${config.nInner} must be a positive integer or null`);
  if (config.nEmbd % config.nHead !== 0) throw new Error(`${where}: 'nEmbd' = ${config.nEmbd} is not divisible by 'nHead' = ${config.nHead}`);
  const choices: [keyof ModelConfig, readonly unknown[]][] = [
    ['activation', ['gelu', 'gelu_new', 'relu', 'silu']],
    ['positionEncoding', ['learned', 'none', 'sinusoidal', 'rope', 'alibi']],
    ['normPlacement', ['pre', 'post']],
    ['norm', ['layernorm', 'rmsnorm']],
    ['attention', ['softmax', 'sigmoid', 'sigmoid_norm', 'elu1']],
    ['sinkToken', [true, false]],
    ['kvBias', ['none', 'kv', 'k', 'v']],
    ['gatedMlp', [true, false]],
    ['linearBias', [true, false]],
    ['tieEmbeddings', [true, false]],
  ];
  for (const [key, valid] of choices) {
    if (!valid.includes(config[key])) throw new Error(`${where}: '${key}' = ${JSON.stringify(config[key])} must be one of ${valid.join(', ')}`);
  }
  layerList(where, 'attentionFreeLayers', config.attentionFreeLayers, config.nLayer);
  layerList(where, 'mlpFreeLayers', config.mlpFreeLayers, config.nLayer);
  if (!Number.isInteger(config.prefixLength) || config.prefixLength < 0) throw new Error(`${where}: 'prefixLength' = ${config.prefixLength} must be a non-negative integer`);
  if (config.slidingWindow !== null && (!Number.isInteger(config.slidingWindow) || config.slidingWindow < 1)) throw new Error(`${where}: 'slidingWindow' = ${config.slidingWindow} must be a positive integer or null`);
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
 * model-io's sinkscope adapter reads (packages/model-io/src/families/sinkscope-trainer.ts).
 */
export function toHfConfig(config: ModelConfig): Record<string, unknown> {
  const optional = (include: boolean, fields: Record<string, unknown>) => (include ? fields : {});
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
        // written only when set, so the configs of the earlier variants stay as they were
        ...optional(config.gatedMlp, { gated_mlp: true }),
        ...optional(!config.linearBias, { linear_bias: false }),
        ...optional(config.attentionFreeLayers.length > 0, { attention_free_layers: [...config.attentionFreeLayers] }),
        ...optional(config.mlpFreeLayers.length > 0, { mlp_free_layers: [...config.mlpFreeLayers] }),
        ...optional(config.prefixLength > 0, { prefix_length: config.prefixLength }),
        ...optional(config.slidingWindow !== null, { sliding_window: config.slidingWindow }),
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
    tie_word_embeddings: config.tieEmbeddings,
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
  const defined = (fields: Partial<Record<keyof ModelConfig, unknown>>) => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<ModelConfig>;
  const variant: Partial<ModelConfig> =
    json.model_type === 'sinkscope'
      ? defined({
          positionEncoding: json.position_encoding,
          normPlacement: json.norm_placement,
          norm: json.norm_type,
          attention: json.attention_op,
          sinkToken: json.learnable_sink_token,
          kvBias: json.kv_bias,
          ropeTheta: json.rope_theta,
          gatedMlp: json.gated_mlp,
          linearBias: json.linear_bias,
          attentionFreeLayers: json.attention_free_layers,
          mlpFreeLayers: json.mlp_free_layers,
          prefixLength: json.prefix_length,
          slidingWindow: json.sliding_window,
        })
      : {};
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
      ...(json.tie_word_embeddings === false ? { tieEmbeddings: false } : {}),
      ...variant,
    },
    where,
  );
}

/**
 * The ArchSpec of a trainer config, from the config.json the checkpoint will carry and the family
 * adapter the pipelines use (model-io's gpt2 or sinkscope adapter): what both engines train is what
 * the pipelines load. A variant the shared forward pass cannot run is refused with its message.
 */
export function archOf(config: ModelConfig): ArchSpec {
  const hf = toHfConfig(config);
  const where = 'model config (as the config.json of the model being trained)';
  return familyFor(String(hf.model_type), where).archFromConfig(new ConfigReader(where, hf));
}
