// Queipo-de-Llano et al. 2025, Fig. 6: Mix-Compress-Refine. The attention scores of every layer
// (mixing = normalised row entropy, attention on BOS, on the token itself and on the previous token)
// against depth, with the three phases shaded from the `phase` column.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import { OKABE_ITO, SERIES_COLORS } from '../theme.js';
import type { TopLevelSpec } from '../vl-types.js';
import { figureSpec, modelColumns, numberTip, textTip, uniformRows } from './common.js';
import { depthX } from './profile-panels.js';

const FIGURE = 'mixCompressRefineFigure';

export const PHASE_COLUMNS = ['model', 'hidden_index', 'relative_depth', 'phase', 'mixing_score', 'bos_score', 'identity_score', 'prev_token_score', 'entropy_normalized'] as const;

const CURVES = { mixing_score: 'mixing (row entropy / ln(t+1))', bos_score: 'attention on BOS', identity_score: 'attention on itself', prev_token_score: 'attention on previous token', entropy_normalized: 'matrix entropy H / ln T' } as const;
const PHASE_COLORS = { mix: OKABE_ITO.skyBlue, compress: OKABE_ITO.orange, refine: OKABE_ITO.bluishGreen } as const;

export function mixCompressRefineFigure(layers: RowSource, caption: CaptionContext, options: { depthAxis?: 'hidden-index' | 'relative-depth' } = {}): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const rows = readTable(FIGURE, 'layers', layers, PHASE_COLUMNS);
  const axisField = options.depthAxis === 'relative-depth' ? 'relative_depth' : 'hidden_index';
  // one shaded span per (model, phase): from half a step before its first depth to half after its last
  const spans: { model: string; phase: string; start: number; end: number }[] = [];
  const byModel = new Map<string, typeof rows>();
  for (const r of rows) byModel.set(r.model, [...(byModel.get(r.model) ?? []), r]);
  for (const [model, mr] of byModel) {
    const sorted = [...mr].sort((a, b) => a.hidden_index - b.hidden_index);
    const pos = sorted.map((r) => Number(r[axisField]));
    const half = pos.length > 1 ? (pos[1] - pos[0]) / 2 : 0.5;
    for (let i = 0; i < sorted.length; ) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1].phase === sorted[i].phase) j++;
      spans.push({ model, phase: sorted[i].phase, start: Math.max(pos[0], pos[i] - half), end: Math.min(pos[pos.length - 1], pos[j] + half) });
      i = j + 1;
    }
  }
  const x = depthX(options.depthAxis);
  const curveNames = Object.values(CURVES);
  return figureSpec({
    title: figureTitle('Mix-Compress-Refine: attention scores per layer with the phases shaded', context, [
      'scores are means over heads and queries t ≥ 1 of the attention layer writing each hidden state; shading: Mix / Compress / Refine',
    ]),
    // one dataset (a facet splits one data source): the layer rows and the phase spans, told apart by row_kind
    datasets: { layers: uniformRows([...rows.map((r) => ({ ...r, row_kind: 'layer' })), ...spans.map((s) => ({ ...s, row_kind: 'phase' }))]) },
    data: 'layers',
    body: {
      facet: modelColumns(true),
      spec: {
        layer: [
          {
            transform: [{ filter: "datum.row_kind === 'phase'" }],
            mark: { type: 'rect', opacity: 0.15 },
            encoding: {
              x: { field: 'start', type: 'quantitative' },
              x2: { field: 'end' },
              color: { field: 'phase', type: 'nominal', title: 'phase', scale: { domain: ['mix', 'compress', 'refine'], range: [PHASE_COLORS.mix, PHASE_COLORS.compress, PHASE_COLORS.refine] } },
            },
          },
          {
            transform: [
              { filter: "datum.row_kind === 'layer'" },
              { fold: Object.keys(CURVES), as: ['score_column', 'score'] },
              { calculate: Object.entries(CURVES).map(([k, v]) => `datum.score_column === '${k}' ? '${v}' : `).join('') + "''", as: 'score_name' },
              { filter: 'isValid(datum.score)' },
            ],
            mark: { type: 'line', point: true },
            encoding: {
              x,
              y: { field: 'score', type: 'quantitative', title: 'score', scale: { domain: [0, 1] } },
              stroke: { field: 'score_name', type: 'nominal', title: 'curve', scale: { domain: curveNames, range: SERIES_COLORS.slice(0, curveNames.length) }, legend: { symbolType: 'stroke' } },
              tooltip: [textTip('model'), textTip('hidden_index', 'hidden index'), textTip('phase'), textTip('score_name', 'curve'), numberTip('score')],
            },
          },
        ],
      },
      resolve: { scale: { x: 'independent' } },
    },
  });
}
