// Building blocks shared by the figure builders: the top-level wrapper and the axes that recur.
import { SERIES_COLORS, THEME } from '../theme.js';
import type {
  Field,
  NonNormalizedSpec,
  PositionDef,
  TitleParams,
  TopLevelSpec,
  ExprRef,
  SignalRef,
} from '../vl-types.js';

export const VEGA_LITE_SCHEMA_URL = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Number format of tooltips: up to 6 significant digits, no trailing zeros. */
export const TOOLTIP_FORMAT = '.6~g';

/** One tooltip entry; a list of them is a valid `tooltip` encoding. */
export interface TipDef {
  field: string;
  type: 'quantitative' | 'nominal' | 'ordinal';
  title?: string;
  format?: string;
}
export type Dataset = readonly object[];

/**
 * Wraps a figure body into a top-level spec: schema, theme, title, and the input tables as named
 * datasets (so the `.vl.json` says which artifact table each view reads). `data` names the dataset
 * the body inherits unless a view names its own.
 */
export function figureSpec(parts: {
  title: TitleParams<ExprRef | SignalRef>;
  datasets: Record<string, Dataset>;
  data?: string;
  body: NonNormalizedSpec;
}): TopLevelSpec {
  const datasets = Object.fromEntries(Object.entries(parts.datasets).map(([name, rows]) => [name, [...rows]]));
  // TopLevelSpec is a union keyed on the body's shape; the JSON-Schema tests check every builder.
  return {
    $schema: VEGA_LITE_SCHEMA_URL,
    title: parts.title,
    config: THEME,
    datasets,
    ...(parts.data === undefined ? {} : { data: { name: parts.data } }),
    ...parts.body,
  } as TopLevelSpec;
}

/**
 * Transform that reduces a view's data to one row (per facet cell), so a constant reference mark
 * such as `y: {datum: 1}` is drawn once instead of once per data row.
 */
export const ONE_ROW = { aggregate: [{ op: 'count' as const, as: 'reference_rows' }] };

export const HIDDEN_INDEX_TITLE = 'hidden state index (0 = embeddings)';

/** x = hidden_index: integer ticks, domain ending at the last hidden state (no nice rounding). */
export function hiddenIndexX(title: string = HIDDEN_INDEX_TITLE, field = 'hidden_index'): PositionDef<Field> {
  return { field, type: 'quantitative', title, scale: { nice: false }, axis: { tickMinStep: 1, format: 'd' } };
}

/** y = a Sink_1 rate stored as a fraction in [0, 1], labelled in percent. */
export function sinkRateY(field = 'sink_rate', title = 'Sink₁ rate (% heads > ε)'): PositionDef<Field> {
  return { field, type: 'quantitative', title, scale: { domain: [0, 1] }, axis: { format: '.0%' } };
}

/** y = first-token norm ratio ‖h_1‖ / mean_{t>1} ‖h_t‖ on a log axis (it spans orders of magnitude once a sink forms). */
export function normRatioY(field = 'norm_ratio'): PositionDef<Field> {
  return { field, type: 'quantitative', title: 'first-token norm ratio (×, log)', scale: { type: 'log' } };
}

/** y = matrix entropy normalised by ln T (dimensionless, 1 = isotropic). */
export function normalisedEntropyY(field: string): PositionDef<Field> {
  return { field, type: 'quantitative', title: 'matrix entropy H / ln T' };
}

/** One facet column per model; `labels: false` on all but the first row of a stacked figure. */
export function modelColumns(labels: boolean): { column: { field: string; type: 'nominal'; title: null; header: { labels: boolean } } } {
  return { column: { field: 'model', type: 'nominal', title: null, header: { labels } } };
}

/** Tooltip entry for a quantitative field. */
export function numberTip(field: string, title?: string): TipDef {
  return title === undefined
    ? { field, type: 'quantitative', format: TOOLTIP_FORMAT }
    : { field, type: 'quantitative', format: TOOLTIP_FORMAT, title };
}

/** Tooltip entry for a nominal or integer field. */
export function textTip(field: string, title?: string): TipDef {
  return title === undefined ? { field, type: 'nominal' } : { field, type: 'nominal', title };
}

/** Cell size of square heatmaps: the panel side stays near maxSide, cells within [2, 32] px. */
export function heatmapStep(cells: number, maxSide: number): number {
  return Math.max(2, Math.min(32, Math.floor(maxSide / Math.max(1, cells))));
}

/** Formats a list of numbers for a subtitle: '1, 2, 3'. */
export function listOf(values: readonly (number | string)[]): string {
  return values.join(', ');
}

/**
 * A nominal colour encoding over the colour-blind-safe series palette (never the two token colours);
 * more series than colours is an error naming the figure.
 */
export function seriesColor(figure: string, field: string, title: string, domain: readonly string[]) {
  if (domain.length > SERIES_COLORS.length) {
    throw new RangeError(`${figure}: ${domain.length} ${title} values (${domain.join(', ')}) but the colour-blind-safe palette has ${SERIES_COLORS.length} colours; split the table`);
  }
  return { field, type: 'nominal' as const, title, scale: { domain: [...domain], range: SERIES_COLORS.slice(0, domain.length) } };
}

/**
 * Rows of several kinds in one dataset (a facet splits one data source), each given every field
 * any of them has (null where it has none), so every encoded field exists in every row.
 */
export function uniformRows(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  const fields = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return rows.map((r) => Object.fromEntries(fields.map((f) => [f, r[f] ?? null])));
}
