// Gu et al. 2025, figs. 15-18: q·kᵀ beside cos(q, k) and |q||k| for several (layer, head) maps of
// one sequence, e.g. the heads that sink hardest on the first token and those that do not: whether a
// sink comes from the angle between the queries and the first key or from its length.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { formatNumber } from '../format.js';
import { readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import { PANEL } from '../theme.js';
import type { NonNormalizedSpec, TopLevelSpec } from '../vl-types.js';
import { figureSpec, heatmapStep } from './common.js';
import { QK_COLUMNS } from './first-token-norms.js';
import { selectMap } from './map-selection.js';
import { qkHeatmap } from './qk-heatmaps.js';

const FIGURE = 'qkGridFigure';

/** One map of the grid and, to label it, its head's mean alpha_1. */
export interface QkGridHead {
  layer: number;
  head: number;
  meanAlpha?: number;
}

export interface QkGridOptions {
  /** The model whose maps are drawn, when the table holds several. */
  model?: string;
  /** Positions drawn per map (the first ones). Default 32. */
  maxTokens?: number;
  /** The sequence the maps come from, for the subtitle. */
  sequence?: number;
}

/** One row per (layer, head) in `heads` order: q·kᵀ, cos(q, k) and |q||k| of its causal cells, each with its own colour scale. */
export function qkGridFigure(qk: RowSource, heads: readonly QkGridHead[], caption: CaptionContext, options: QkGridOptions = {}): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  if (heads.length === 0) throw new RangeError(`${FIGURE}: no (layer, head) maps to draw`);
  const rows = readTable(FIGURE, 'qk', qk, QK_COLUMNS);
  const maxTokens = options.maxTokens ?? 32;
  const datasets: Record<string, object[]> = {};
  const views: NonNormalizedSpec[] = [];
  let crop = '';
  for (const { layer, head, meanAlpha } of heads) {
    const map = selectMap(FIGURE, 'qk', rows, { model: options.model, layer, head }, maxTokens);
    const name = `qk_l${layer}_h${head}`;
    datasets[name] = map.rows.filter((r) => r.key <= r.query).map(({ query, key, dot, cos, norm_product }) => ({ query, key, dot, cos, norm_product }));
    if (map.shown < map.seqLen) crop = `first ${map.shown} of ${map.seqLen} positions shown`;
    const step = heatmapStep(map.shown, PANEL.heatmapMaxSide * 0.5);
    const label = `layer ${layer}, head ${head}${meanAlpha === undefined ? '' : ` · mean α₁ = ${formatNumber(Number(meanAlpha.toPrecision(3)))}`}`;
    views.push({
      title: { text: label, fontSize: 12, anchor: 'start' },
      hconcat: (['dot', 'cos', 'norm_product'] as const).map((field) => qkHeatmap(field, name, map.shown, step)),
      resolve: { scale: { color: 'independent' } },
    });
  }
  const notes = [
    `model ${options.model ?? rows[0].model}${options.sequence === undefined ? '' : ` · sequence ${options.sequence}`} · causal cells (key ≤ query)${crop ? ` · ${crop}` : ''}`,
    'q·kᵀ = |q| |k| cos(q, k): a sink column in q·kᵀ that cos shares but |q||k| does not comes from the angle',
  ];
  return figureSpec({
    title: figureTitle('q·kᵀ, cos(q, k) and |q| |k| of several heads', context, notes),
    datasets,
    body: { vconcat: views, resolve: { scale: { color: 'independent' } } },
  });
}
