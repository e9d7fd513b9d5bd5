import { columnsSchema } from '@sinkscope/artifacts';

// The ablation step's own artifact kinds beside the shared `ablation` table (@sinkscope/artifacts
// ABLATION, one per (model, run)). Bump a version when a column changes meaning.

/** Per-sequence readings of one run: what the effect sizes' spread comes from. Row per (sequence, hidden_index). */
export const ABLATION_SEQUENCES = {
  kind: 'ablation_sequences',
  version: 2,
  schema: columnsSchema([
    ['model', 'utf8'],
    ['intervention', 'utf8'],
    ['sequence', 'int32'],
    ['hidden_index', 'int32'],
    ['first_token_norm', 'float32'],
    ['other_tokens_mean_norm', 'float32'],
    ['sink_rate', 'float32'],
    ['entropy_normalized', 'float32'],
    ['entropy_bound', 'float32'],
    ['mean_cosine', 'float32'],
    ['nll_sum', 'float32'],
    ['predicted_tokens', 'int32'],
  ]),
} as const;

/**
 * The baseline's mean vector at each position below the shortest length (over sequences), and the
 * mean median |activation|, per hidden state: where `dims: massive` and `value: baseline-mean` come
 * from on a cache hit. Row per (hidden_index, position, dim).
 */
export const ABLATION_BASELINE_MEANS = {
  kind: 'ablation_baseline_means',
  version: 1,
  schema: columnsSchema([
    ['hidden_index', 'int32'],
    ['position', 'int32'],
    ['dim', 'int32'],
    ['mean_value', 'float32'],
    ['median_abs', 'float32'],
  ]),
} as const;
