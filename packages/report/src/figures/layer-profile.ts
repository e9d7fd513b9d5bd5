// Figure 1: the per-layer profile behind the compression valley (Queipo-de-Llano et al. 2025):
// first-token norm ratio, Sink_1 rate and normalised matrix entropy against hidden_index.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import type { TopLevelSpec } from '../vl-types.js';
import { TOKEN_GROUP_COLORS, TOKEN_GROUP_LABELS } from '../theme.js';
import type { NonNormalizedSpec } from '../vl-types.js';
import type { BandRow } from './bands.js';
import { figureSpec, modelColumns, numberTip, textTip } from './common.js';
import { depthX, normaliseBound, profilePanels } from './profile-panels.js';
import type { PanelLayout, ProfileRow } from './profile-panels.js';

const FIGURE = 'layerProfileFigure';

/** Columns of the `layers` table this figure reads. */
export const LAYER_PROFILE_COLUMNS = [
  'model',
  'hidden_index',
  'sink_rate',
  'norm_ratio',
  'entropy_normalized',
  'entropy_bound',
  'seq_len',
] as const;

export interface LayerProfileOptions {
  /** x = hidden_index (default) or relative_depth (hidden_index / L; needs the relative_depth column). */
  depthAxis?: 'hidden-index' | 'relative-depth';
  /** Spread over sequences around each mean (from `sequenceBands`). */
  bands?: readonly BandRow[];
  /** Mark each model's transition layer (the `transition` column) with a dotted rule. */
  transition?: boolean;
  /** Add a panel of the absolute first-token and other-token norms on a log axis (paper Fig. 1's BOS panel). */
  absoluteNorms?: boolean;
}

/**
 * Per-layer profile from `layers` rows: one column of panels per model. The entropy bound is
 * normalised like the measured entropy (divided by ln T, T = the row's seq_len) and drawn dashed
 * beside it. `sink_rate` is NaN at hidden_index 0 (embeddings have no attention) and is left out.
 */
export function layerProfileFigure(layers: RowSource, caption: CaptionContext, options: LayerProfileOptions = {}): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const rows = readTable(FIGURE, 'layers', layers, LAYER_PROFILE_COLUMNS);
  const extra =
    options.depthAxis === 'relative-depth' || options.transition || options.absoluteNorms
      ? readTable(FIGURE, 'layers', layers, ['relative_depth', 'transition', 'first_token_norm', 'other_tokens_mean_norm'])
      : undefined;
  const bands = new Map((options.bands ?? []).map((b) => [`${b.model}\u0000${b.hidden_index}`, b]));
  const profile: (ProfileRow & { first_token_norm?: number | null; other_tokens_mean_norm?: number | null })[] = rows.map((row, index) => {
    const band = bands.get(`${row.model}\u0000${row.hidden_index}`);
    return {
      model: row.model,
      hidden_index: row.hidden_index,
      sink_rate: row.sink_rate,
      norm_ratio: row.norm_ratio,
      entropy_normalized: row.entropy_normalized,
      entropy_bound_normalized: normaliseBound(row.entropy_bound, row.seq_len, () => `${FIGURE}: table 'layers' row ${index}`),
      ...(extra
        ? {
            relative_depth: extra[index].relative_depth,
            transition: extra[index].transition,
            transition_x: extra[index].transition ? (options.depthAxis === 'relative-depth' ? extra[index].relative_depth : row.hidden_index) : null,
            first_token_norm: extra[index].first_token_norm,
            other_tokens_mean_norm: extra[index].other_tokens_mean_norm,
          }
        : {}),
      ...(band ? { norm_ratio_lo: band.norm_ratio_lo, norm_ratio_hi: band.norm_ratio_hi, sink_rate_lo: band.sink_rate_lo, sink_rate_hi: band.sink_rate_hi, entropy_normalized_lo: band.entropy_normalized_lo, entropy_normalized_hi: band.entropy_normalized_hi } : {}),
    };
  });
  const layout: PanelLayout = { depthAxis: options.depthAxis ?? 'hidden-index', bands: bands.size > 0, transition: options.transition ?? false };
  const panels = profilePanels({ kind: 'fixed' }, layout);
  if (options.absoluteNorms) panels.unshift(absoluteNormPanel(layout));
  return figureSpec({
    title: figureTitle('Per-layer profile: first-token norm ratio, Sink₁ rate, matrix entropy', context, [
      'dashed: entropy bound, normalised by ln T like the measured entropy',
      ...(bands.size ? ['bands: spread over sequences'] : []),
      ...(options.transition ? ['dotted rule: transition layer (largest rise of ln first-token norm)'] : []),
    ]),
    datasets: { layers: profile },
    data: 'layers',
    // each panel keeps its own colour and dash legends (token groups, entropy curves)
    body: { vconcat: panels, resolve: { scale: { color: 'independent', strokeDash: 'independent' } } },
  });
}

/** The first token's and the other tokens' mean L2 norms on a log axis (the absolute BOS norm). */
function absoluteNormPanel(layout: PanelLayout): NonNormalizedSpec {
  const labels = { first: TOKEN_GROUP_LABELS.first, others: TOKEN_GROUP_LABELS.other };
  return {
    facet: modelColumns(true),
    spec: {
      transform: [
        { fold: ['first_token_norm', 'other_tokens_mean_norm'], as: ['norm_column', 'norm_value'] },
        { calculate: `datum.norm_column === 'first_token_norm' ? '${labels.first}' : '${labels.others}'`, as: 'token_group' },
        { filter: 'isValid(datum.norm_value) && datum.norm_value > 0' },
      ],
      mark: { type: 'line', point: true },
      encoding: {
        x: depthX(layout.depthAxis),
        y: { field: 'norm_value', type: 'quantitative', title: 'ℓ₂ norm (log)', scale: { type: 'log' } },
        color: { field: 'token_group', type: 'nominal', title: 'token', scale: { domain: [labels.first, labels.others], range: [TOKEN_GROUP_COLORS.first, TOKEN_GROUP_COLORS.other] }, legend: { symbolType: 'stroke' } },
        tooltip: [textTip('model'), textTip('hidden_index', 'hidden index'), textTip('token_group', 'token'), numberTip('norm_value', 'norm')],
      },
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
}
