// Queipo-de-Llano et al. 2025, Fig. 3: Theorem 1 measured against its bound. Per model, the measured
// anisotropy p_1 and its lower bound p, and the matrix entropy (/ ln r) and the corollary's upper
// bound, against depth; and scatters of measured vs bound over every (hidden state, sequence) with
// the y = x line (p_1 points lie above it, entropy points below).
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { distinct, readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import { BOUND_DASH, OKABE_ITO, REFERENCE_COLOR, SERIES_COLORS } from '../theme.js';
import type { NonNormalizedSpec, TopLevelSpec } from '../vl-types.js';
import { figureSpec, modelColumns, numberTip, textTip } from './common.js';
import { depthX } from './profile-panels.js';

const FIGURE = 'theorem1BoundFigure';

export const THEOREM1_LAYER_COLUMNS = ['model', 'hidden_index', 'relative_depth', 'p1', 'p1_lower', 'entropy_rank_normalized', 'entropy_upper_rank_normalized'] as const;
export const THEOREM1_SEQUENCE_COLUMNS = ['model', 'hidden_index', 'sequence', 'p1', 'p1_lower', 'entropy_rank_normalized', 'entropy_upper_rank_normalized'] as const;

export interface Theorem1BoundOptions {
  depthAxis?: 'hidden-index' | 'relative-depth';
}

export function theorem1BoundFigure(layers: RowSource, sequences: RowSource, caption: CaptionContext, options: Theorem1BoundOptions = {}): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const perLayer = readTable(FIGURE, 'layers', layers, THEOREM1_LAYER_COLUMNS);
  const perSequence = readTable(FIGURE, 'entropy_sequences', sequences, THEOREM1_SEQUENCE_COLUMNS);
  const models = distinct(perLayer.map((r) => r.model));
  if (models.length > SERIES_COLORS.length) throw new RangeError(`${FIGURE}: ${models.length} models but the palette has ${SERIES_COLORS.length} colours`);
  const x = depthX(options.depthAxis);
  const curve = (measured: string, bound: string, title: string, labels: [string, string]): NonNormalizedSpec => ({
    facet: modelColumns(true),
    spec: {
      transform: [
        { fold: [measured, bound], as: ['curve_column', 'value'] },
        { calculate: `datum.curve_column === '${measured}' ? '${labels[0]}' : '${labels[1]}'`, as: 'curve' },
      ],
      mark: { type: 'line', point: true },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title, scale: { domain: [0, 1] } },
        strokeDash: { field: 'curve', type: 'nominal', title: null, scale: { domain: labels, range: [[1, 0], BOUND_DASH] }, legend: { symbolType: 'stroke' } },
        color: { field: 'curve', type: 'nominal', title: null, scale: { domain: labels, range: [OKABE_ITO.black, REFERENCE_COLOR] } },
        tooltip: [textTip('model'), textTip('hidden_index', 'hidden index'), textTip('curve'), numberTip('value')],
      },
    },
    resolve: { scale: { x: 'independent' } },
  });
  const modelColor = { field: 'model', type: 'nominal' as const, title: 'model', scale: { domain: models, range: SERIES_COLORS.slice(0, models.length) } };
  const scatter = (measured: string, bound: string, title: string): NonNormalizedSpec => ({
    data: { name: 'sequences' },
    transform: [{ filter: `isValid(datum.${measured}) && isValid(datum.${bound})` }],
    layer: [
      {
        mark: { type: 'point', size: 12, opacity: 0.5, filled: true },
        encoding: {
          x: { field: bound, type: 'quantitative', title: `bound: ${title}`, scale: { domain: [0, 1] } },
          y: { field: measured, type: 'quantitative', title: `measured: ${title}`, scale: { domain: [0, 1] } },
          color: modelColor,
          tooltip: [textTip('model'), textTip('hidden_index', 'hidden index'), textTip('sequence'), numberTip(measured, 'measured'), numberTip(bound, 'bound')],
        },
      },
      {
        data: { values: [{ v: 0 }, { v: 1 }] },
        mark: { type: 'line', strokeDash: [2, 2], color: REFERENCE_COLOR },
        encoding: { x: { field: 'v', type: 'quantitative' }, y: { field: 'v', type: 'quantitative' } },
      },
    ],
  });
  return figureSpec({
    title: figureTitle('Theorem 1 measured: anisotropy p₁ and matrix entropy against their bounds', context, [
      'p₁ = σ₁² / ‖X‖²_F ≥ p = (c + α)/(c + 1); H / ln r ≤ the corollary (where p ≥ 1/r); scatters over (hidden state, sequence), dotted y = x',
    ]),
    datasets: { layers: perLayer, sequences: perSequence },
    data: 'layers',
    body: {
      vconcat: [
        curve('p1', 'p1_lower', 'anisotropy p₁', ['measured p₁', 'lower bound p']),
        curve('entropy_rank_normalized', 'entropy_upper_rank_normalized', 'matrix entropy H / ln r', ['measured H / ln r', 'upper bound / ln r']),
        { hconcat: [scatter('p1', 'p1_lower', 'p₁'), scatter('entropy_rank_normalized', 'entropy_upper_rank_normalized', 'H / ln r')] },
      ],
      resolve: { scale: { color: 'independent', strokeDash: 'independent' } },
    },
  });
}
