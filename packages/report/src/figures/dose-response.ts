// Dose-response of an ablation (issue 17): each reading's change against the baseline as the
// intervention is applied at strength s (x + s (f(x) - x)); s = 0 is the baseline, 1 the full
// ablation of Queipo-de-Llano et al. 2025 sec. 4. A causal effect grows with the dose.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { distinct, readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import { REFERENCE_COLOR } from '../theme.js';
import type { NonNormalizedSpec, TopLevelSpec } from '../vl-types.js';
import { figureSpec, numberTip, ONE_ROW, seriesColor, textTip } from './common.js';

const FIGURE = 'doseResponseFigure';

/** Columns of the `ablation_effects` table this figure reads (rows of role `dose`). */
export const DOSE_RESPONSE_COLUMNS = [
  'model',
  'ablation',
  'role',
  'scale',
  'window',
  'norm_ratio_delta_mean',
  'norm_ratio_delta_std',
  'sink_rate_delta_mean',
  'sink_rate_delta_std',
  'entropy_delta_mean',
  'entropy_delta_std',
  'loss_delta_mean',
  'loss_delta_std',
] as const;

const PANELS = [
  { quantity: 'entropy', title: 'Δ H / ln T (states ≥ h)' },
  { quantity: 'sink_rate', title: 'Δ Sink₁ (layers ≥ h)' },
  { quantity: 'loss', title: 'Δ loss (nats/token)' },
  { quantity: 'norm_ratio', title: 'Δ first-token norm ratio at h' },
] as const;

/**
 * One panel per reading (entropy, Sink_1 downstream, loss, norm ratio at h): the mean change over
 * sequences against the strength, with ± its std over sequences as a bar, one colour per ablation
 * (`model: ablation` when the rows hold several models); a dotted line at no change. A reading no
 * dose measured (Sink_1 when no attention layer follows the ablated block) has no panel, and the
 * subtitle says so.
 */
export function doseResponseFigure(effects: RowSource, caption: CaptionContext): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const rows = readTable(FIGURE, 'ablation_effects', effects, DOSE_RESPONSE_COLUMNS).filter((r) => r.role === 'dose');
  if (rows.length === 0) throw new RangeError(`${FIGURE}: table 'ablation_effects' has no rows of role 'dose'`);
  const models = distinct(rows.map((r) => r.model));
  const points = rows.flatMap((r, index) => {
    if (r.scale === null) throw new RangeError(`${FIGURE}: table 'ablation_effects' dose row ${index} has no scale`);
    const series = models.length > 1 ? `${r.model}: ${r.ablation}` : r.ablation;
    return PANELS.map(({ quantity }) => {
      const mean = r[`${quantity}_delta_mean`];
      const std = r[`${quantity}_delta_std`] ?? 0;
      return { series, quantity, scale: r.scale, h: r.window, delta: mean, low: mean === null ? null : mean - std, high: mean === null ? null : mean + std };
    });
  });
  const series = distinct(points.map((p) => p.series));
  const color = seriesColor(FIGURE, 'series', 'ablation', series);
  const measured = PANELS.filter(({ quantity }) => points.some((p) => p.quantity === quantity && p.delta !== null));
  const unmeasured = PANELS.filter((p) => !measured.includes(p)).map((p) => p.quantity);
  const x = { field: 'scale', type: 'quantitative' as const, title: 'strength s (0 = baseline, 1 = full ablation)', scale: { domain: [0, 1] }, axis: { values: distinct(points.map((p) => p.scale as number)).sort((a, b) => a - b), format: '~g' } };
  const panel = (quantity: string, title: string): NonNormalizedSpec => ({
    title: { text: title, fontSize: 12 },
    transform: [{ filter: { field: 'quantity', equal: quantity } }],
    layer: [
      {
        transform: [ONE_ROW],
        mark: { type: 'rule', color: REFERENCE_COLOR, strokeDash: [2, 2] },
        encoding: { y: { datum: 0 } },
      },
      {
        mark: { type: 'rule' },
        encoding: { x, y: { field: 'low', type: 'quantitative', title }, y2: { field: 'high' }, color },
      },
      {
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'delta', type: 'quantitative', title },
          color: { ...color, legend: { symbolType: 'stroke' } },
          tooltip: [textTip('series', 'ablation'), numberTip('scale', 'strength'), textTip('h'), numberTip('delta', 'mean change'), numberTip('low', 'mean − std'), numberTip('high', 'mean + std')],
        },
      },
    ],
  });
  return figureSpec({
    title: figureTitle('Dose-response: the change of each reading against the strength of the ablation', context, [
      'mean change over sequences vs the baseline, bars ± its std over sequences; read from hidden state h on (the first one the ablation changes)',
      ...(unmeasured.includes('sink_rate') ? ['no Sink₁ panel: no attention layer comes after the ablated block'] : []),
    ]),
    datasets: { dose: points },
    data: 'dose',
    body: { columns: 2, concat: measured.map(({ quantity, title }) => panel(quantity, title)) },
  });
}
