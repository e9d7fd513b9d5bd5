import { columnsSchema } from '@sinkscope/artifacts';

// Pipeline-internal artifact kinds (the shared tables are declared in @sinkscope/artifacts). Each has
// a schema version recorded in its metadata; bump it when a column changes.

/**
 * Per-layer results of the metrics step: one row per (model, hidden_index). The `residual_*` columns
 * are the residual stream at that state: the state itself, except at hidden_index L, which
 * `transformers` returns after the final norm: there they hold the final norm's input (the last
 * block's output), as Gu et al. 2025 plot it and as the massive-activation test reads it.
 */
export const LAYER_METRICS = {
  kind: 'layer_metrics',
  version: 2,
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
  ]),
} as const;

/** Per-layer results of the entropy step (means and spread over sequences). */
export const LAYER_ENTROPY = {
  kind: 'layer_entropy',
  version: 1,
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
    ['anisotropy', 'float32'],
    ['anisotropy_excluding_bos', 'float32'],
    ['seq_len', 'int32'],
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
export const METRICS_KINDS = ['layer_metrics', 'heads', 'sink_sweep', 'sink_k', 'norms', 'massive', 'pattern', 'qk'] as const;
export type MetricsKind = (typeof METRICS_KINDS)[number];
