import { Schema } from 'apache-arrow';
import { ArtifactInputError } from '../errors.js';
import { arrowField, column, type ColumnInput, type ColumnSpec, type ColumnValue } from './columns.js';

/** A shared artifact table: its columns, what one row is, and the metadata keys it must carry. */
export interface ArtifactKindSpec<C extends readonly ColumnSpec[] = readonly ColumnSpec[]> {
  /** Kind name: the store folder and `sinkscope.kind`. */
  readonly kind: string;
  /** Schema version; bump it whenever a column is added, removed, renamed or changes meaning. */
  readonly version: number;
  /** What one row is, e.g. "(model, hidden_index)". */
  readonly rowPer: string;
  readonly columns: C;
  /**
   * Metadata keys (without the `sinkscope.` prefix) this kind must carry besides the common ones,
   * with what each holds.
   */
  readonly requiredMetadata: Readonly<Record<string, string>>;
  /** The Arrow schema of the columns (no metadata; the store adds it per artifact). */
  readonly schema: Schema;
}

/** One row of a kind as a plain object: `RowOf<typeof LAYERS>`. */
export type RowOf<K extends ArtifactKindSpec> = { [C in K['columns'][number] as C['name']]: ColumnValue<C['type']> };

/** Whole columns of a kind: `ColumnsOf<typeof LAYERS>`. */
export type ColumnsOf<K extends ArtifactKindSpec> = { [C in K['columns'][number] as C['name']]: ColumnInput<C['type']> };

/** Metadata every shared table carries besides the common keys (the measurement settings). */
const TABLE_METADATA = {
  seq_len: 'tokens per sequence T of the run (JSON number, or a JSON list for sweeps)',
  eps: 'sink threshold eps of Sink_k^eps (JSON number, or a JSON list for sweeps)',
} as const;

function defineKind<const C extends readonly ColumnSpec[]>(def: {
  kind: string;
  version: number;
  rowPer: string;
  columns: C;
  requiredMetadata?: Readonly<Record<string, string>>;
}): ArtifactKindSpec<C> {
  const names = new Set<string>();
  for (const c of def.columns) {
    if (names.has(c.name)) throw new Error(`artifact kind ${def.kind}: column '${c.name}' declared twice`);
    names.add(c.name);
  }
  return {
    kind: def.kind,
    version: def.version,
    rowPer: def.rowPer,
    columns: def.columns,
    requiredMetadata: { ...TABLE_METADATA, ...def.requiredMetadata },
    schema: new Schema(def.columns.map(arrowField)),
  };
}

const model = column.utf8('model', 'model id as named in the pipeline spec');
const hiddenIndex = column.int32(
  'hidden_index',
  '`transformers` hidden-state index: 0 = embeddings, i = output of block i-1 (i = 1..L; L is post-final-norm)',
);
const sinkRateOfLayer = column.float32(
  'sink_rate',
  'Sink_1^eps of attention layer `layer`: fraction of heads whose attention on the first token exceeds eps (Gu et al. 2025), in [0, 1]; NaN for hidden_index 0',
);
const firstTokenNorm = column.float32('first_token_norm', 'L2 norm of the first token (mean over sequences)');
const otherTokensMeanNorm = column.float32('other_tokens_mean_norm', 'mean L2 norm of tokens 1..T-1 (mean over sequences)');
const normRatio = column.float32('norm_ratio', 'first_token_norm / other_tokens_mean_norm');
const entropyNormalized = column.float32('entropy_normalized', '`entropy` / ln T, in [0, 1]');
const entropyBound = column.float32(
  'entropy_bound',
  'upper bound on `entropy` from the first token\'s norm and alignment (Queipo-de-Llano et al. 2025)',
);
const anisotropyCol = column.float32('anisotropy', 'mean pairwise cosine similarity of the tokens');

/** Per-layer summary of one model: the sink / compression-valley profile. */
export const LAYERS = defineKind({
  kind: 'layers',
  version: 1,
  rowPer: '(model, hidden_index)',
  columns: [
    model,
    hiddenIndex,
    column.int32('layer', 'attention layer that produced it = hidden_index - 1; -1 for the embeddings'),
    sinkRateOfLayer,
    firstTokenNorm,
    otherTokensMeanNorm,
    normRatio,
    column.float32('top_activation', 'max |a| over tokens and dimensions'),
    column.float32('median_activation', 'median |a| over tokens and dimensions'),
    column.float32('entropy', 'Shannon matrix entropy of the token representations (nats; Queipo-de-Llano et al. 2025)'),
    entropyNormalized,
    column.float32('renyi2', 'Renyi entropy of order 2, -ln sum p^2 (nats)'),
    entropyBound,
    column.float32('entropy_bound_alpha0', '`entropy_bound` with alpha = 0 (first token orthogonal to the rest)'),
    anisotropyCol,
    column.int32('seq_len', 'tokens per sequence T'),
  ],
});

/** Per-head sink statistics. */
export const HEADS = defineKind({
  kind: 'heads',
  version: 1,
  rowPer: '(model, layer, head)',
  columns: [
    model,
    column.int32('layer', 'attention layer (0-based)'),
    column.int32('head', 'query head (0-based)'),
    column.float32('mean_alpha1', 'mean attention on the first token, alpha_1, over queries and sequences'),
    column.float32('sink_rate', 'fraction of sequences in which alpha_1 exceeds eps, in [0, 1]'),
  ],
});

/** One attention map (or several), in long form. */
export const PATTERN = defineKind({
  kind: 'pattern',
  version: 1,
  rowPer: '(model, layer, head, sequence, query, key) entry of an attention map',
  columns: [
    model,
    column.int32('layer', 'attention layer (0-based)'),
    column.int32('head', 'query head (0-based)'),
    column.int32('sequence', 'sequence index in the dataset (0-based)'),
    column.int32('query', 'query position (0-based)'),
    column.int32('key', 'key position (0-based, <= query)'),
    column.float32('weight', 'softmax attention probability'),
  ],
});

/** First-token versus other-token norms of hidden states, keys and values. */
export const NORMS = defineKind({
  kind: 'norms',
  version: 1,
  rowPer: '(model, kind, layer, head)',
  columns: [
    model,
    column.int32('layer', 'hidden_index for kind hidden and hidden_pre_norm; attention layer for key / value'),
    column.utf8('kind', 'which tensor: hidden, key or value; hidden_pre_norm = the last hidden state before the final norm (layer = L; hidden at L is after it)', [
      'hidden',
      'key',
      'value',
      'hidden_pre_norm',
    ]),
    column.int32('head', 'key/value head (0-based); -1 for hidden and hidden_pre_norm'),
    firstTokenNorm,
    otherTokensMeanNorm,
  ],
});

/** q.k decomposition of one (layer, head, sequence) into norms and angle. */
export const QK = defineKind({
  kind: 'qk',
  version: 1,
  rowPer: '(query, key) causal pair of one (model, layer, head, sequence)',
  columns: [
    model,
    column.int32('layer', 'attention layer (0-based)'),
    column.int32('head', 'query head (0-based)'),
    column.int32('query', 'query position t (0-based)'),
    column.int32('key', 'key position s <= t (0-based)'),
    column.float32('dot', 'q_t . k_s (the attention logit times sqrt(head_dim))'),
    column.float32('cos', 'cos(q_t, k_s); 0 where either vector is zero'),
    column.float32('norm_product', '|q_t| |k_s|'),
  ],
});

/** Sink rate over thresholds and sequence lengths. */
export const SINK_SWEEP = defineKind({
  kind: 'sink_sweep',
  version: 1,
  rowPer: '(model, eps, seq_len)',
  columns: [
    model,
    column.float32('eps', 'threshold eps'),
    column.int32('seq_len', 'sequence length (prefix length T\')'),
    column.float32('sink_rate', 'Sink_1^eps over all layers and heads, in [0, 1]'),
  ],
});

/** The largest activations of each hidden state (Sun et al. 2024's massive activations). */
export const MASSIVE = defineKind({
  kind: 'massive',
  version: 1,
  rowPer: '(model, hidden_index, rank)',
  columns: [
    model,
    hiddenIndex,
    column.int32('rank', '0 = largest |a|'),
    column.float32('value', 'signed activation'),
    column.float32('abs_value', '|value|'),
    column.int32('token', 'token position (0-based)'),
    column.int32('dim', 'hidden dimension (0-based)'),
    column.float32('median_abs', 'median |a| of this hidden state'),
    column.bool('over_100', 'abs_value > 100'),
    column.bool('over_1000x_median', 'abs_value > 1000 * median_abs'),
  ],
  requiredMetadata: {
    emergence_hidden_index: 'first hidden_index with a massive activation (JSON number; -1 if none)',
  },
});

/** Interventions (e.g. removing the sink) against a baseline and a control. */
export const ABLATION = defineKind({
  kind: 'ablation',
  version: 1,
  rowPer: '(model, intervention, role, hidden_index)',
  columns: [
    model,
    column.utf8('intervention', 'intervention name from the spec'),
    column.utf8('role', 'baseline, targeted, control, or dose (a partial strength of a dose-response)', ['baseline', 'targeted', 'control', 'dose']),
    hiddenIndex,
    column.float32('sink_rate', 'Sink_1^eps of attention layer hidden_index - 1; NaN for hidden_index 0'),
    normRatio,
    entropyNormalized,
    entropyBound,
    anisotropyCol,
    column.float32('loss', 'mean next-token cross-entropy (nats), model-level, repeated per row'),
    column.float32('perplexity', 'exp(loss), model-level, repeated per row'),
  ],
});

/** Sink emergence during training. */
export const TRAINING = defineKind({
  kind: 'training',
  version: 1,
  rowPer: '(run, step, layer); layer = -1 is the model-level row',
  columns: [
    column.utf8('run', 'training run name'),
    column.int32('step', 'optimizer step'),
    column.float32('loss', 'training loss (nats) at this step'),
    column.float32('sink_rate', 'model-level Sink_1^eps, in [0, 1]'),
    column.int32('layer', 'attention layer (0-based); -1 = model-level row'),
    column.float32('layer_sink_rate', 'Sink_1^eps of this layer; NaN in the model-level row'),
    normRatio,
    entropyNormalized,
  ],
});

/** Every shared table kind, by name. */
export const ARTIFACT_KINDS = {
  layers: LAYERS,
  heads: HEADS,
  pattern: PATTERN,
  norms: NORMS,
  qk: QK,
  sink_sweep: SINK_SWEEP,
  massive: MASSIVE,
  ablation: ABLATION,
  training: TRAINING,
} as const;

export type SharedKindName = keyof typeof ARTIFACT_KINDS;

/** The shared table kind of this name, or undefined for other kinds (activations, captures...). */
export function findArtifactKind(kind: string): ArtifactKindSpec | undefined {
  return Object.hasOwn(ARTIFACT_KINDS, kind) ? ARTIFACT_KINDS[kind as SharedKindName] : undefined;
}

/** The shared table kind of this name; an error naming the valid kinds otherwise. */
export function getArtifactKind(kind: string): ArtifactKindSpec {
  const spec = findArtifactKind(kind);
  if (!spec) throw new ArtifactInputError(`unknown artifact kind '${kind}' (shared table kinds: ${Object.keys(ARTIFACT_KINDS).join(', ')})`);
  return spec;
}
