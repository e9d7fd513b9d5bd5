import type { ArchSpec } from '../arch-spec.js';
import { checkSizes } from '../config/arch-check.js';
import type { ConfigReader } from '../config/config-reader.js';

/**
 * The base every family adapter builds its ArchSpec on: the sizes read by their config.json names
 * (transformers' names by default), and the defaults most families share, so an adapter states only
 * what its family does differently.
 */

/** config.json names of the sizes; `mlp` may compute a default (GPT-2's n_inner = null means 4 d). */
export interface SizeFields {
  readonly layers: string;
  readonly dModel: string;
  readonly heads: string;
  /** Key/value heads (GQA); absent = as many as query heads. */
  readonly kvHeads?: string;
  /** An explicit head size; absent (or null in the file) = `headDimDefault`, else d_model / heads. */
  readonly headDim?: string;
  /** The config class's head_dim default where it has one (Gemma 256, Qwen3 128). */
  readonly headDimDefault?: number;
  readonly mlp: string | ((c: ConfigReader, dModel: number) => number);
  /** Longest sequence; a number where config.json has no such field (ALiBi models have no position table). */
  readonly positions: string | number;
}

const TRANSFORMERS_SIZES: SizeFields = {
  layers: 'num_hidden_layers',
  dModel: 'hidden_size',
  heads: 'num_attention_heads',
  mlp: 'intermediate_size',
  positions: 'max_position_embeddings',
};

export type ArchSizes = Pick<ArchSpec, 'nLayers' | 'dModel' | 'nHeads' | 'nKvHeads' | 'headDim' | 'dMlp' | 'vocabSize' | 'maxPositions'>;

/** The sizes of a config.json, by the family's field names (transformers' names where it gives none). */
export function archSizes(c: ConfigReader, names: Partial<SizeFields> = {}): ArchSizes {
  const f = { ...TRANSFORMERS_SIZES, ...names };
  const dModel = c.int(f.dModel);
  const nHeads = c.int(f.heads);
  const sizes = {
    nLayers: c.int(f.layers),
    dModel,
    nHeads,
    nKvHeads: f.kvHeads ? c.int(f.kvHeads, nHeads) : nHeads,
    headDim: (f.headDim ? c.optInt(f.headDim) : undefined) ?? f.headDimDefault ?? dModel / nHeads,
    dMlp: typeof f.mlp === 'string' ? c.int(f.mlp) : f.mlp(c, dModel),
    vocabSize: c.int('vocab_size'),
    maxPositions: typeof f.positions === 'string' ? c.int(f.positions) : f.positions,
  };
  checkSizes(sizes, c);
  return sizes;
}

/**
 * What a family always states: norm, positions, MLP, biases, and whether embeddings are tied when
 * config.json has no `tie_word_embeddings` (transformers' per-class default). `residual` and
 * `embeddingScale` default to sequential and 1.
 */
export type FamilyFields = Pick<ArchSpec, 'norm' | 'positional' | 'mlp' | 'bias'> &
  Partial<Pick<ArchSpec, 'residual' | 'embeddingScale' | 'attnScale' | OptionalFeature>> & { readonly tiedByDefault: boolean };

/** The ArchSpec fields a family states only when it has the feature (absent = the plain decoder's behaviour). */
type OptionalFeature = 'slidingWindow' | 'slidingLayers' | 'localRotary' | 'embeddingNorm' | 'softCap' | 'qkNorm' | 'sublayerNorms' | 'moe';

/**
 * An ArchSpec: the sizes, a sequential residual, embedding scale 1, attention scale 1/sqrt(head_dim)
 * (every family here; transformers' `scaling = head_dim**-0.5`), `tie_word_embeddings` and the BOS/EOS
 * ids from the config, and the family's own fields over those defaults.
 */
export function archSpec(c: ConfigReader, modelType: string, sizes: ArchSizes, family: FamilyFields): ArchSpec {
  const { tiedByDefault, ...fields } = family;
  return {
    modelType,
    ...sizes,
    residual: 'sequential',
    embeddingScale: 1,
    attnScale: 1 / Math.sqrt(sizes.headDim),
    tiedEmbeddings: c.bool('tie_word_embeddings', tiedByDefault),
    ...withoutUndefined(fields),
    bosTokenId: c.tokenId('bos_token_id', sizes.vocabSize),
    eosTokenId: c.tokenId('eos_token_id', sizes.vocabSize),
  };
}

/**
 * ArchSpec's optional variant fields (Gu et al.'s sink-emergence variants, `model_type: "sinkscope"`)
 * and what their absence means: the standard block every other family has.
 */
export const ARCH_VARIANT_DEFAULTS = {
  normPlacement: 'pre',
  attentionOp: 'softmax',
  sinkToken: false,
  attentionFreeLayers: [] as readonly number[],
  mlpFreeLayers: [] as readonly number[],
} as const satisfies Partial<ArchSpec>;

/** Whether block `layer` has an attention sublayer. */
export function hasAttention(arch: ArchSpec, layer: number): boolean {
  return !(arch.attentionFreeLayers ?? ARCH_VARIANT_DEFAULTS.attentionFreeLayers).includes(layer);
}

/** Blocks (0-based) that have attention, in order: the layers whose patterns every Sink_1 reads. */
export function attentionLayers(arch: ArchSpec): number[] {
  return Array.from({ length: arch.nLayers }, (_, l) => l).filter((l) => hasAttention(arch, l));
}

/** Whether block `layer` has an MLP sublayer. */
export function hasMlp(arch: ArchSpec, layer: number): boolean {
  return !(arch.mlpFreeLayers ?? ARCH_VARIANT_DEFAULTS.mlpFreeLayers).includes(layer);
}

/** Rows the blocks see before a sequence's first token: 1 with a learnable sink token, else 0. */
export function sinkRows(arch: ArchSpec): number {
  return (arch.sinkToken ?? ARCH_VARIANT_DEFAULTS.sinkToken) ? 1 : 0;
}

/**
 * Whether every causal row of the attention pattern (keys 0..t of query t) sums to 1: softmax or
 * normalised attention without an extra slot and without a prefix-LM mask. Raw sigmoid weights do
 * not, nor the real keys' share when a slot takes the rest, nor a prefix query's causal keys when it
 * also sees later prefix keys.
 */
export function patternRowsSumToOne(arch: ArchSpec): boolean {
  return (arch.attentionOp ?? ARCH_VARIANT_DEFAULTS.attentionOp) !== 'sigmoid' && arch.attentionSlot === undefined && !arch.prefixLength;
}

/** `fields` without the keys whose value is undefined (an absent optional feature stays absent). */
function withoutUndefined<X extends object>(fields: X): X {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as X;
}
