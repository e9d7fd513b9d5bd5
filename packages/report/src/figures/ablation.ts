// Figure 7: an ablation against its baseline and a control ablation: every curve of the layer
// profile (figure 1) per series, plus the model-level perplexity of each series.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { distinct, readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import { SERIES_COLORS } from '../theme.js';
import type { NonNormalizedSpec, TopLevelSpec } from '../vl-types.js';
import { figureSpec, modelColumns, numberTip, textTip } from './common.js';
import { normaliseBound, profilePanels } from './profile-panels.js';
import type { ProfileRow } from './profile-panels.js';

const FIGURE = 'ablationFigure';

/** Columns of the `ablation` table this figure reads. */
export const ABLATION_COLUMNS = [
  'model',
  'intervention',
  'role',
  'hidden_index',
  'sink_rate',
  'norm_ratio',
  'entropy_normalized',
  'entropy_bound',
  'loss',
  'perplexity',
] as const;

export const ABLATION_ROLES = ['baseline', 'targeted', 'control'] as const;
export type AblationRole = (typeof ABLATION_ROLES)[number];

export interface AblationOptions {
  /** T used to normalise entropy_bound by ln T (the table has no seq_len); default caption.seqLen when it is one value. */
  seqLen?: number;
}

/**
 * 'baseline', 'targeted: <intervention>', 'control: <intervention>'. A control named after the figure's one targeted
 * intervention X as the ablate step names them, 'X [control: position 17]', is shown as 'control: position 17': the
 * full names share their first 40-odd characters, so legends and axis labels cut them to the same text.
 */
export function ablationSeries(role: AblationRole, intervention: string, targeted?: string): string {
  if (role === 'baseline') return 'baseline';
  const prefix = targeted === undefined ? undefined : `${targeted} [control: `;
  if (role === 'control' && prefix !== undefined && intervention.startsWith(prefix) && intervention.endsWith(']')) {
    return `control: ${intervention.slice(prefix.length, -1)}`;
  }
  return `${role}: ${intervention}`;
}

interface AblationPoint extends ProfileRow {
  series: string;
  role: AblationRole;
}

interface SeriesSummary {
  model: string;
  series: string;
  role: AblationRole;
  loss: number | null;
  perplexity: number | null;
}

/**
 * Rows of `ablation`, coloured by series (baseline first, then targeted, then control). Scales are
 * shared across series within a model so before and after compare by position.
 */
export function ablationFigure(ablation: RowSource, caption: CaptionContext, options: AblationOptions = {}): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const seqLen = options.seqLen ?? (context.seqLens.length === 1 ? context.seqLens[0] : undefined);
  if (seqLen === undefined) {
    throw new RangeError(`${FIGURE}: caption.seqLen lists ${context.seqLens.length} lengths; pass options.seqLen to normalise entropy_bound by ln T`);
  }
  const rows = readTable(FIGURE, 'ablation', ablation, ABLATION_COLUMNS);
  const targetedInterventions = distinct(rows.filter((row) => row.role === 'targeted').map((row) => row.intervention));
  const targeted = targetedInterventions.length === 1 ? targetedInterventions[0] : undefined;
  const points: AblationPoint[] = [];
  const summaries = new Map<string, SeriesSummary>();
  const seen = new Set<string>();
  for (const [index, row] of rows.entries()) {
    const where = `${FIGURE}: table 'ablation' row ${index}`;
    if (!(ABLATION_ROLES as readonly string[]).includes(row.role)) {
      throw new RangeError(`${where} column 'role' must be one of ${ABLATION_ROLES.join(', ')} (got ${JSON.stringify(row.role)})`);
    }
    const role = row.role as AblationRole;
    const series = ablationSeries(role, row.intervention, targeted);
    const cell = JSON.stringify([row.model, series, row.hidden_index]);
    if (seen.has(cell)) throw new RangeError(`${where}: model ${row.model}, ${series}, hidden_index ${row.hidden_index} appears twice (two baselines?)`);
    seen.add(cell);
    points.push({
      model: row.model,
      series,
      role,
      hidden_index: row.hidden_index,
      sink_rate: row.sink_rate,
      norm_ratio: row.norm_ratio,
      entropy_normalized: row.entropy_normalized,
      entropy_bound_normalized: normaliseBound(row.entropy_bound, seqLen, () => where),
    });
    const key = JSON.stringify([row.model, series]);
    const summary = summaries.get(key);
    if (summary === undefined) {
      summaries.set(key, { model: row.model, series, role, loss: row.loss, perplexity: row.perplexity });
    } else if (summary.loss !== row.loss || summary.perplexity !== row.perplexity) {
      throw new RangeError(`${where}: loss/perplexity of model ${row.model}, ${series} differ between rows; they are model-level values repeated per row`);
    }
  }
  const roleOrder = (role: AblationRole) => ABLATION_ROLES.indexOf(role);
  const series = distinct(
    [...points].sort((a, b) => roleOrder(a.role) - roleOrder(b.role)).map((point) => point.series),
  );
  if (series.length > SERIES_COLORS.length) {
    throw new RangeError(`${FIGURE}: ${series.length} series (${series.join(', ')}) but the colour-blind-safe palette has ${SERIES_COLORS.length} colours; split the table into several figures`);
  }
  const coloring = { kind: 'series' as const, field: 'series', title: 'series', domain: series, range: SERIES_COLORS.slice(0, series.length) };
  const perplexity: NonNormalizedSpec = {
    data: { name: 'ablation_summary' },
    facet: modelColumns(false),
    spec: {
      mark: { type: 'bar' },
      encoding: {
        // horizontal bars: series names read as labels instead of rotated ticks
        y: { field: 'series', type: 'nominal', title: null, sort: series, axis: { labelLimit: 200 } },
        x: { field: 'perplexity', type: 'quantitative', title: 'perplexity (model-level)', scale: { zero: true } },
        color: { field: 'series', type: 'nominal', title: 'series', scale: { domain: series, range: coloring.range }, legend: { symbolType: 'stroke' } },
        tooltip: [textTip('model'), textTip('series'), numberTip('perplexity', 'perplexity'), numberTip('loss', 'loss (nats/token)')],
      },
    },
    resolve: { scale: { x: 'independent' } },
  };
  return figureSpec({
    title: figureTitle('Ablation: layer profile before and after, against a control', context, [
      `series: ${series.join(' · ')}; dashed: entropy bound / ln T (T = ${seqLen})`,
    ]),
    datasets: { ablation: points, ablation_summary: [...summaries.values()] },
    data: 'ablation',
    body: { vconcat: [...profilePanels(coloring), perplexity] },
  });
}
