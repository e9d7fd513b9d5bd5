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
 * The baseline's mean vector at each position below the shortest length (over sequences), the mean
 * median |activation| and the top |activation|, per hidden state: where `dims: massive`, `value:
 * baseline-mean` and (without the metrics step's table) the massive-activation test come from on a
 * cache hit. Row per (hidden_index, position, dim).
 */
export const ABLATION_BASELINE_MEANS = {
  kind: 'ablation_baseline_means',
  version: 2,
  schema: columnsSchema([
    ['hidden_index', 'int32'],
    ['position', 'int32'],
    ['dim', 'int32'],
    ['mean_value', 'float32'],
    ['median_abs', 'float32'],
    ['top_abs', 'float32'],
  ]),
} as const;

/** The four effect readings of a run (see `RunEffects`), each as baseline / after / delta mean / delta std columns. */
export const EFFECT_QUANTITIES = ['norm_ratio', 'sink_rate', 'entropy', 'loss'] as const;
export type EffectQuantity = (typeof EFFECT_QUANTITIES)[number];

/**
 * One model's ablations as a reader needs them, written once per (model, specs, settings): a row per
 * targeted run, control and dose point with its effect sizes, and a row per ablation that did not run
 * (role `skipped`, its reason in `note`). The schema metadata holds the massive-activation finding
 * (`massive_found`, `massive_verdict`, `emergence_hidden_index`, `massive_thresholds`). Measurements
 * not made (Sink_1 with no attention layer downstream; every number of a skipped ablation) are NaN.
 */
export const ABLATION_EFFECTS = {
  kind: 'ablation_effects',
  version: 1,
  schema: columnsSchema([
    ['model', 'utf8'],
    ['ablation', 'utf8'],
    ['intervention', 'utf8'],
    ['role', 'utf8'],
    ['scale', 'float32'],
    ['blocks', 'utf8'],
    ['window', 'int32'],
    ['note', 'utf8'],
    ['sequences', 'int32'],
    ...EFFECT_QUANTITIES.flatMap((q) => (['baseline', 'after', 'delta_mean', 'delta_std'] as const).map((part) => [`${q}_${part}`, 'float32'] as [string, 'float32'])),
  ]),
} as const;
