import { columnsSchema } from '@sinkscope/artifacts';

// Pipeline-internal artifact kinds (the shared tables are declared in @sinkscope/artifacts). Each has
// a schema version recorded in its metadata; bump it when a column changes.

/**
 * Per-layer results of the metrics step: one row per (model, hidden_index). The `residual_*` columns
 * are the residual stream at that state: the state itself, except at hidden_index L, which
 * `transformers` returns after the final norm: there they hold the final norm's input (the last
 * block's output), as Gu et al. 2025 plot it and as the massive-activation test reads it.
 */
// version 2 added the residual_* columns (issue 17) and, on another branch, the attention scores (issue 16); 3 has both
export const LAYER_METRICS = {
  kind: 'layer_metrics',
  version: 3,
  schema: columnsSchema([
    ['model', 'utf8'],
    ['hidden_index', 'int32'],
    ['layer', 'int32'],
    ['sink_rate', 'float32'],
    ['mean_alpha1', 'float32'],
    ['first_token_norm', 'float32'],
    ['other_tokens_mean_norm', 'float32'],
    ['norm_ratio', 'float32'],
    ['top_activation', 'float32'],
    ['median_activation', 'float32'],
    ['seq_len', 'int32'],
    ['residual_first_token_norm', 'float32'],
    ['residual_other_tokens_mean_norm', 'float32'],
    ['residual_norm_ratio', 'float32'],
    ['residual_top_activation', 'float32'],
    ['residual_median_activation', 'float32'],
    // Mix-Compress-Refine attention scores of attention layer `layer` (NaN at hidden_index 0)
    ['mixing_score', 'float32'],
    ['identity_score', 'float32'],
    ['prev_token_score', 'float32'],
    ['bos_score', 'float32'],
  ]),
} as const;

/** Per-layer results of the entropy step (means and spread over sequences). */
export const LAYER_ENTROPY = {
  kind: 'layer_entropy',
  version: 2,
  schema: columnsSchema([
    ['model', 'utf8'],
    ['hidden_index', 'int32'],
    ['entropy', 'float32'],
    ['entropy_std', 'float32'],
    ['entropy_normalized', 'float32'],
    ['entropy_normalized_std', 'float32'],
    ['renyi2', 'float32'],
    ['entropy_bound', 'float32'],
    ['entropy_bound_alpha0', 'float32'],
    ['mean_cosine', 'float32'],
    ['mean_cosine_excluding_bos', 'float32'],
    ['seq_len', 'int32'],
    // version 2: Theorem 1 of Queipo-de-Llano et al. 2025, means over sequences (see ENTROPY_SEQUENCES)
    ['p1', 'float32'],
    ['p1_lower', 'float32'],
    ['dominance', 'float32'],
    ['dominance_lower', 'float32'],
    ['alignment', 'float32'],
    ['c', 'float32'],
    ['sigma1_sq', 'float32'],
    ['sigma1_sq_lower', 'float32'],
    ['entropy_upper', 'float32'],
    ['entropy_rank_normalized', 'float32'],
    ['entropy_upper_rank_normalized', 'float32'],
    ['rank', 'float32'],
  ]),
} as const;

/** Sink_k^eps for k = 1..10 (a sink can sit on a later token). */
export const SINK_K = {
  kind: 'sink_k',
  version: 1,
  schema: columnsSchema([
    ['model', 'utf8'],
    ['k', 'int32'],
    ['sink_rate', 'float32'],
    ['mean_alpha', 'float32'],
  ]),
} as const;

/** The artifacts the metrics step writes per model, each under `metricsArtifactKey(metrics key, kind)`. */
export const METRICS_KINDS = ['layer_metrics', 'heads', 'sink_sweep', 'sink_k', 'norms', 'massive', 'pattern', 'qk', 'metrics_sequences'] as const;
export type MetricsKind = (typeof METRICS_KINDS)[number];
