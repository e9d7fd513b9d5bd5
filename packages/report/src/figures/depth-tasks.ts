// Queipo-de-Llano et al. 2025, Fig. 7: what each depth is good for. LogitLens next-token loss,
// multiple-choice accuracy through the LogitLens, and linear-probe accuracy, against relative depth.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { distinct, readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import { REFERENCE_COLOR, SERIES_COLORS } from '../theme.js';
import type { NonNormalizedSpec, TopLevelSpec } from '../vl-types.js';
import { figureSpec, numberTip, textTip } from './common.js';
import { depthX } from './profile-panels.js';

const FIGURE = 'depthTasksFigure';
// three panels side by side, legends below them, fit the report's 1200 px column
const PANEL_WIDTH = 260;

export interface DepthTaskTables {
  logitLens?: RowSource;
  multipleChoice?: RowSource;
  probes?: RowSource;
}

export function depthTasksFigure(tables: DepthTaskTables, caption: CaptionContext): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const lens = tables.logitLens ? readTable(FIGURE, 'logit_lens', tables.logitLens, ['model', 'hidden_index', 'relative_depth', 'loss', 'top1_accuracy']) : [];
  const mc = tables.multipleChoice ? readTable(FIGURE, 'multiple_choice', tables.multipleChoice, ['model', 'task', 'hidden_index', 'relative_depth', 'accuracy', 'accuracy_norm', 'chance']) : [];
  const probes = tables.probes ? readTable(FIGURE, 'probes', tables.probes, ['model', 'task', 'pooling', 'hidden_index', 'relative_depth', 'accuracy', 'accuracy_std', 'majority']) : [];
  if (!lens.length && !mc.length && !probes.length) throw new RangeError(`${FIGURE}: no LogitLens, multiple-choice or probe rows`);
  const models = distinct([...lens, ...mc, ...probes].map((r) => r.model));
  const x = depthX('relative-depth');
  const colour = (field: string, domain: string[]) => ({ field, type: 'nominal' as const, title: field === 'model' ? 'model' : 'series', scale: { domain, range: SERIES_COLORS.slice(0, domain.length) }, legend: { symbolType: 'stroke' as const, orient: 'bottom' as const, direction: 'vertical' as const, labelLimit: 260 } });
  const panels: NonNormalizedSpec[] = [];
  if (lens.length) {
    panels.push({
      data: { name: 'logit_lens' },
      width: PANEL_WIDTH,
      mark: { type: 'line', point: true },
      encoding: {
        x,
        y: { field: 'loss', type: 'quantitative', title: 'LogitLens loss (nats/token)', scale: { zero: false } },
        color: colour('model', models),
        tooltip: [textTip('model'), textTip('hidden_index', 'hidden index'), numberTip('loss'), numberTip('top1_accuracy', 'top-1 accuracy')],
      },
    });
  }
  const accuracy = (name: string, rows: readonly object[], series: string, title: string): NonNormalizedSpec => {
    const domain = distinct(rows.map((r) => (r as Record<string, string>).series));
    if (domain.length > SERIES_COLORS.length) throw new RangeError(`${FIGURE}: ${domain.length} ${name} series but the palette has ${SERIES_COLORS.length} colours`);
    return {
      data: { name },
      width: PANEL_WIDTH,
      layer: [
        { mark: { type: 'line', strokeDash: [2, 2], color: REFERENCE_COLOR }, encoding: { x, y: { field: 'baseline', type: 'quantitative' }, detail: { field: 'series', type: 'nominal' } } },
        {
          mark: { type: 'line', point: true },
          encoding: {
            x,
            y: { field: 'accuracy', type: 'quantitative', title, scale: { domain: [0, 1] }, axis: { format: '.0%' } },
            color: colour('series', domain),
            tooltip: [textTip('series', series), textTip('hidden_index', 'hidden index'), numberTip('accuracy'), numberTip('baseline', 'chance / majority')],
          },
        },
      ],
    };
  };
  const multi = models.length > 1;
  const mcRows = mc.flatMap((r) => [
    { series: `${multi ? `${r.model} ` : ''}${r.task} acc`, hidden_index: r.hidden_index, relative_depth: r.relative_depth, accuracy: r.accuracy, baseline: r.chance },
    { series: `${multi ? `${r.model} ` : ''}${r.task} acc_norm`, hidden_index: r.hidden_index, relative_depth: r.relative_depth, accuracy: r.accuracy_norm, baseline: r.chance },
  ]);
  const probeRows = probes.map((r) => ({ series: `${multi ? `${r.model} ` : ''}${r.task} (${r.pooling})`, hidden_index: r.hidden_index, relative_depth: r.relative_depth, accuracy: r.accuracy, baseline: r.majority }));
  if (mcRows.length) panels.push(accuracy('multiple_choice', mcRows, 'task', 'multiple-choice accuracy'));
  if (probeRows.length) panels.push(accuracy('probes', probeRows, 'probe', 'probe accuracy (k-fold CV)'));
  return figureSpec({
    title: figureTitle('What each depth is good for: LogitLens loss, multiple choice and linear probes', context, [
      'dotted: chance (multiple choice) and the majority label (probes)',
    ]),
    datasets: { logit_lens: lens, multiple_choice: mcRows, probes: probeRows },
    body: { hconcat: panels, resolve: { scale: { color: 'independent' } } },
  });
}
