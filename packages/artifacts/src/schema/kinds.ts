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
const meanCosineCol = column.float32('mean_cosine', 'mean pairwise cosine similarity of the tokens (not the paper\'s anisotropy, which is `p1`)');

const relativeDepth = column.float32('relative_depth', 'hidden_index / L (L = number of blocks): 0 = embeddings, 1 = the last hidden state, so models of different depth overlay');

/** Theorem 1 of Queipo-de-Llano et al. 2025 per sequence (raw X unless the entropy settings preprocess it). */
const theorem1Columns = [
  column.float32('bos_sq_norm', 'M = |x_0|^2, the first token\'s squared norm'),
  column.float32('rest_sq_norm', 'R = sum_{i>0} |x_i|^2'),
  column.float32('alignment', 'alpha = (1/R) sum_{i>0} |x_i|^2 cos^2(x_i, x_0), in [0, 1]'),
  column.float32('c', 'c = M / R'),
  column.float32('p1', 'p_1 = sigma_1^2 / |X|_F^2: the paper\'s anisotropy (share of the top singular direction)'),
  column.float32('dominance', 'sigma_1^2 / sum_{j>=2} sigma_j^2 (Infinity for rank one)'),
  column.float32('sigma1_sq', 'sigma_1^2, the top eigenvalue of X X^T'),
  column.float32('sigma1_sq_lower', 'Theorem 1: M + alpha R <= sigma1_sq'),
  column.float32('p1_lower', 'p = (c + alpha) / (c + 1) <= p1'),
  column.float32('dominance_lower', '(c + alpha) / (1 - alpha) <= dominance'),
  column.float32('entropy_upper', 'corollary: -p ln p - (1-p) ln(1-p) + (1-p) ln(r-1) >= entropy, r = numeric rank; NaN where p < 1/r (it does not apply)'),
  column.float32('entropy_rank_normalized', 'entropy / ln r'),
  column.float32('entropy_upper_rank_normalized', 'entropy_upper / ln r; NaN where entropy_upper is'),
] as const;

/** The same quantities as means over sequences (entropy_upper over the sequences where it applies). */
const theorem1Means = [
  column.float32('p1', 'mean over sequences of p_1 = sigma_1^2 / |X|_F^2, the paper\'s anisotropy'),
  column.float32('p1_lower', 'mean of Theorem 1\'s lower bound p = (c + alpha) / (c + 1) on p1'),
  column.float32('dominance', 'mean of sigma_1^2 / sum_{j>=2} sigma_j^2'),
  column.float32('dominance_lower', 'mean of (c + alpha) / (1 - alpha)'),
  column.float32('alignment', 'mean alignment alpha of the other tokens with the first'),
  column.float32('c', 'mean c = |x_0|^2 / sum_{i>0} |x_i|^2'),
  column.float32('entropy_upper', 'mean of the corollary\'s entropy bound over the sequences where p >= 1/r; NaN if none'),
  column.float32('entropy_rank_normalized', 'mean of entropy / ln r (r = numeric rank)'),
  column.float32('entropy_upper_rank_normalized', 'mean of entropy_upper / ln r where defined; NaN if none'),
] as const;

/** Mix-Compress-Refine attention scores of one attention layer (Queipo-de-Llano et al. 2025, Fig. 6). */
const attentionScoreColumns = [
  column.float32('mixing_score', 'mean over heads and queries t >= 1 of the entropy of A[t, 0..t] / ln(t + 1) (1 = uniform over the visible keys) of attention layer `layer`; NaN for hidden_index 0'),
  column.float32('identity_score', 'mean over heads and queries of A[t, t]; NaN for hidden_index 0'),
  column.float32('prev_token_score', 'mean over heads and queries t >= 1 of A[t, t-1]; NaN for hidden_index 0'),
  column.float32('bos_score', 'mean over heads and queries t >= 1 of A[t, 0]; NaN for hidden_index 0'),
] as const;

/** Per-layer summary of one model: the sink / compression-valley profile. */
export const LAYERS = defineKind({
  kind: 'layers',
  version: 2,
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
    meanCosineCol,
    column.int32('seq_len', 'tokens per sequence T'),
    // appended in version 2 (Queipo-de-Llano et al. 2025's analyses, issue 16)
    relativeDepth,
    column.bool('transition', 'the transition layer: the hidden state with the largest one-step rise of ln first_token_norm (one per model)'),
    column.utf8('phase', 'Mix-Compress-Refine phase of this depth (rule in the pipeline README)', ['mix', 'compress', 'refine']),
    ...theorem1Means,
    ...attentionScoreColumns,
    column.float32('logit_lens_loss', 'next-token cross-entropy (nats) of the LogitLens readout of this hidden state; NaN when the lens step is off'),
    column.float32('logit_lens_perplexity', 'exp(logit_lens_loss)'),
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
  version: 2,
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
    meanCosineCol,
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

/** Theorem 1 and its corollary per sequence: what Fig. 3's scatter and the per-prompt overlays draw. */
export const ENTROPY_SEQUENCES = defineKind({
  kind: 'entropy_sequences',
  version: 1,
  rowPer: '(model, hidden_index, sequence)',
  columns: [
    model,
    hiddenIndex,
    column.int32('sequence', 'sequence index in the dataset (0-based)'),
    column.float32('entropy', 'Shannon matrix entropy (nats)'),
    entropyNormalized,
    column.int32('rank', 'r: numeric rank of X (eigenvalue shares above max(T, d) 2^-52 p_1)'),
    ...theorem1Columns,
    meanCosineCol,
  ],
});

/** Per-sequence sink, norm and attention readings: the spread over sequences the per-layer figures draw as a band. */
export const METRICS_SEQUENCES = defineKind({
  kind: 'metrics_sequences',
  version: 1,
  rowPer: '(model, hidden_index, sequence)',
  columns: [
    model,
    hiddenIndex,
    column.int32('sequence', 'sequence index in the dataset (0-based)'),
    column.float32('first_token_norm', 'L2 norm of the first token'),
    column.float32('other_tokens_mean_norm', 'mean L2 norm of tokens 1..T-1'),
    column.float32('sink_rate', 'fraction of heads of attention layer hidden_index - 1 with alpha_1 > eps in this sequence; NaN for hidden_index 0'),
    ...attentionScoreColumns,
  ],
});

/** LogitLens: each hidden state read out through the model's own final norm and unembedding. */
export const LOGIT_LENS = defineKind({
  kind: 'logit_lens',
  version: 1,
  rowPer: '(model, hidden_index)',
  columns: [
    model,
    hiddenIndex,
    relativeDepth,
    column.float32('loss', 'mean next-token cross-entropy (nats) of lm_head(final_norm(h)) over the dataset (the last hidden state, already normalised, is not normalised again)'),
    column.float32('perplexity', 'exp(loss)'),
    column.float32('top1_accuracy', 'fraction of positions whose arg-max readout is the next token'),
    column.int32('tokens', 'predicted positions (T - 1 per sequence)'),
  ],
});

/** Multiple-choice accuracy of the LogitLens readout at each depth (lm-eval's scoring). */
export const MULTIPLE_CHOICE = defineKind({
  kind: 'multiple_choice',
  version: 1,
  rowPer: '(model, task, hidden_index)',
  columns: [
    model,
    column.utf8('task', 'the multiple-choice dataset (its spec name)'),
    hiddenIndex,
    relativeDepth,
    column.float32('accuracy', 'fraction of items whose highest summed choice log-probability is the gold choice (lm-eval acc)'),
    column.float32('accuracy_norm', 'the same with each sum divided by the choice length (lm-eval acc_norm: characters)'),
    column.float32('chance', 'mean of 1 / number of choices'),
    column.int32('items', 'items scored'),
  ],
});

/** Linear-probe accuracy per depth (logistic regression, seeded k-fold cross-validation). */
export const PROBES = defineKind({
  kind: 'probes',
  version: 1,
  rowPer: '(model, task, pooling, hidden_index)',
  columns: [
    model,
    column.utf8('task', 'the labelled dataset (its spec name)'),
    column.utf8('pooling', 'mean: mean over the text tokens (BOS left out); last: the last token', ['mean', 'last']),
    hiddenIndex,
    relativeDepth,
    column.float32('accuracy', 'held-out accuracy, mean over the folds'),
    column.float32('accuracy_std', 'population std of the fold accuracies'),
    column.float32('majority', 'accuracy of always answering the most frequent training label (mean over folds)'),
    column.int32('folds', 'k of the k-fold cross-validation'),
    column.int32('examples', 'labelled examples'),
    column.int32('classes', 'distinct labels'),
  ],
});

/** One series of checkpoints (models sharing `series`, ordered by `step`): Fig. 5's heatmaps. */
export const DYNAMICS = defineKind({
  kind: 'dynamics',
  version: 1,
  rowPer: '(series, step, hidden_index)',
  columns: [
    column.utf8('series', 'the models\' `series` in the spec'),
    column.int32('step', 'training step of the checkpoint'),
    column.utf8('model', 'the model name of this checkpoint'),
    hiddenIndex,
    relativeDepth,
    entropyNormalized,
    column.float32('sink_rate', 'Sink_1^eps of attention layer hidden_index - 1; NaN for hidden_index 0'),
    column.float32('log_norm_ratio', 'ln(first_token_norm / other_tokens_mean_norm)'),
  ],
  requiredMetadata: {
    first_step_sink: 'first step whose model-level Sink_1 exceeds the spec\'s analyses.dynamics.sinkRate (JSON number; -1 if none)',
    first_step_massive: 'first step with a norm ratio above analyses.phases.normRatio at some depth (JSON number; -1 if none)',
    first_step_valley: 'first step whose normalised entropy drops below analyses.phases.entropyDrop x its embedding value at some depth (JSON number; -1 if none)',
  },
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
  entropy_sequences: ENTROPY_SEQUENCES,
  metrics_sequences: METRICS_SEQUENCES,
  logit_lens: LOGIT_LENS,
  multiple_choice: MULTIPLE_CHOICE,
  probes: PROBES,
  dynamics: DYNAMICS,
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
