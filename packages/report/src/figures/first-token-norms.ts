// Figure 4 (Gu et al. 2025, fig. 2): norms of the first token vs the other tokens for hidden
// states, keys and values against layer (top), and cos(q, k) and |q||k| of one attention map
// (bottom): the sink comes from the angle between queries and the first key, not from its length.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { distinct, readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import { PANEL, TOKEN_GROUP_LABELS, TOKEN_GROUP_SCALE } from '../theme.js';
import type { NonNormalizedSpec, TopLevelSpec } from '../vl-types.js';
import { figureSpec, HIDDEN_INDEX_TITLE, heatmapStep, numberTip, textTip } from './common.js';
import { mapNote, selectMap } from './map-selection.js';
import { qkHeatmap } from './qk-heatmaps.js';
import type { MapSelection } from './map-selection.js';

const FIGURE = 'firstTokenNormsFigure';

/** Columns of the `norms` table this figure reads. */
export const NORMS_COLUMNS = ['model', 'layer', 'kind', 'head', 'first_token_norm', 'other_tokens_mean_norm'] as const;
/** Columns of the `qk` table this figure reads. */
export const QK_COLUMNS = ['model', 'layer', 'head', 'query', 'key', 'dot', 'cos', 'norm_product'] as const;

const KINDS = ['hidden', 'key', 'value'] as const;
type NormKind = (typeof KINDS)[number];

const KIND_PANEL: Record<NormKind, { title: string; x: string }> = {
  hidden: { title: 'hidden states', x: HIDDEN_INDEX_TITLE },
  key: { title: 'keys', x: 'attention layer' },
  value: { title: 'values', x: 'attention layer' },
};

/** The `norms` kind of the last hidden state before the final norm (hidden at layer L is after it). */
const PRE_NORM_KIND = 'hidden_pre_norm';

export interface FirstTokenNormsOptions extends MapSelection {
  /**
   * Which last hidden state the hidden-state panel draws when the table has both: 'before' the final
   * norm (Gu et al. 2025 plot it so; default) or 'after' it (what `transformers` returns). The panel
   * title says which.
   */
  lastHidden?: 'before' | 'after';
  /** Log y axis for the norms (a sink's first hidden state is often 10-100x longer). Default true. */
  logNorms?: boolean;
  /** Positions of the q-k maps drawn (see attentionPatternFigure). Default 64. */
  maxTokens?: number;
}

interface NormPoint {
  model: string;
  kind: NormKind;
  layer: number;
  token_group: string;
  norm: number | null;
}

function mean(values: readonly (number | null)[]): number | null {
  if (values.some((v) => v === null)) return null;
  return (values as number[]).reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Long-format norm points. Per (model, kind, layer): the row with head -1 if present (hidden states
 * always; keys/values when the pipeline stored a head average), otherwise the mean over heads. With
 * `lastHidden: 'before'`, a model's `hidden_pre_norm` row replaces its hidden point at that layer.
 */
function normPoints(all: ReturnType<typeof readNorms>, lastHidden: 'before' | 'after'): { points: NormPoint[]; replaced: Set<string> } {
  const replaced = new Set<string>();
  const preNorm = new Map(all.filter((r) => r.kind === PRE_NORM_KIND).map((r) => [JSON.stringify([r.model, r.layer]), r]));
  const rows = all
    .filter((r) => r.kind !== PRE_NORM_KIND)
    .map((r) => {
      const pre = lastHidden === 'before' && r.kind === 'hidden' ? preNorm.get(JSON.stringify([r.model, r.layer])) : undefined;
      if (!pre) return r;
      replaced.add(r.model);
      return { ...pre, kind: 'hidden' };
    });
  const groups = new Map<string, typeof rows>();
  for (const [index, row] of rows.entries()) {
    if (!(KINDS as readonly string[]).includes(row.kind)) {
      throw new RangeError(`${FIGURE}: table 'norms' row ${index} column 'kind' must be one of ${[...KINDS, PRE_NORM_KIND].join(', ')} (got ${JSON.stringify(row.kind)})`);
    }
    const key = JSON.stringify([row.model, row.kind, row.layer]);
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const points: NormPoint[] = [];
  for (const group of groups.values()) {
    const averaged = group.filter((row) => row.head === -1);
    const use = averaged.length > 0 ? averaged : group;
    if (averaged.length > 1) {
      throw new RangeError(`${FIGURE}: table 'norms' has ${averaged.length} head -1 rows for model ${group[0].model}, kind ${group[0].kind}, layer ${group[0].layer}`);
    }
    const { model, kind, layer } = group[0];
    points.push(
      { model, kind: kind as NormKind, layer, token_group: TOKEN_GROUP_LABELS.first, norm: mean(use.map((r) => r.first_token_norm)) },
      { model, kind: kind as NormKind, layer, token_group: TOKEN_GROUP_LABELS.other, norm: mean(use.map((r) => r.other_tokens_mean_norm)) },
    );
  }
  return { points, replaced };
}

function readNorms(norms: RowSource) {
  return readTable(FIGURE, 'norms', norms, NORMS_COLUMNS);
}

function normPanel(model: string, kind: NormKind, logNorms: boolean, lastHidden: 'before' | 'after' | undefined): NonNormalizedSpec {
  const which = kind === 'hidden' && lastHidden ? ` (last: ${lastHidden} the final norm)` : '';
  return {
    title: { text: KIND_PANEL[kind].title + which, fontSize: 12 },
    data: { name: 'norms' },
    transform: [{ filter: { and: [{ field: 'model', equal: model }, { field: 'kind', equal: kind }] } }],
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'layer', type: 'quantitative', title: KIND_PANEL[kind].x, scale: { nice: false }, axis: { tickMinStep: 1, format: 'd' } },
      y: {
        field: 'norm',
        type: 'quantitative',
        title: logNorms ? 'ℓ₂ norm (log)' : 'ℓ₂ norm',
        scale: logNorms ? { type: 'log' } : { zero: true },
      },
      color: { field: 'token_group', type: 'nominal', title: 'token', scale: TOKEN_GROUP_SCALE, legend: { symbolType: 'stroke' } },
      tooltip: [textTip('model'), textTip('layer'), textTip('token_group', 'token'), numberTip('norm', 'norm')],
    },
  };
}

/**
 * Norms panels (one row of hidden/key/value panels per model) and, when `qk` rows are given, the
 * cos(q, k) and |q||k| heatmaps of one map (causal cells only: key <= query).
 */
export function firstTokenNormsFigure(
  tables: { norms: RowSource; qk?: RowSource },
  caption: CaptionContext,
  options: FirstTokenNormsOptions = {},
): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const all = readNorms(tables.norms);
  const lastHidden = options.lastHidden ?? 'before';
  const { points, replaced } = normPoints(all, lastHidden);
  // the panel names the last state drawn whenever the table holds both
  const hasBoth = (model: string) => all.some((r) => r.model === model && r.kind === PRE_NORM_KIND);
  const logNorms = options.logNorms ?? true;
  const models = distinct(points.map((p) => p.model));
  const rows: NonNormalizedSpec[] = models.map((model) => {
    const kinds = KINDS.filter((kind) => points.some((p) => p.model === model && p.kind === kind));
    return {
      ...(models.length > 1 ? { title: { text: model, fontSize: 12, anchor: 'start' as const } } : {}),
      hconcat: kinds.map((kind) => normPanel(model, kind, logNorms, hasBoth(model) ? (replaced.has(model) ? 'before' : 'after') : undefined)),
      resolve: { scale: { x: 'independent', y: 'independent' } },
    };
  });
  const datasets: Record<string, readonly object[]> = { norms: points };
  const notes: string[] = [];
  if (tables.qk !== undefined) {
    const qk = readTable(FIGURE, 'qk', tables.qk, QK_COLUMNS);
    const map = selectMap(FIGURE, 'qk', qk, { model: options.model, layer: options.layer, head: options.head }, options.maxTokens ?? 64);
    datasets.qk = map.rows
      .filter((row) => row.key <= row.query)
      .map(({ query, key, dot, cos, norm_product }) => ({ query, key, dot, cos, norm_product }));
    const step = heatmapStep(map.shown, PANEL.heatmapMaxSide * 0.6);
    rows.push({ hconcat: (['dot', 'cos', 'norm_product'] as const).map((field) => qkHeatmap(field, 'qk', map.shown, step)), resolve: { scale: { color: 'independent' } } });
    notes.push(`q-k maps: ${mapNote(map)}; causal cells (key ≤ query)`);
  }
  return figureSpec({
    title: figureTitle('First token vs other tokens: norms, and q-k angle vs length', context, notes),
    datasets,
    body: { vconcat: rows },
  });
}
