// Queipo-de-Llano et al. 2025, Fig. 5 (and Gu et al. 2025, Fig. 4 middle): the valley forming over
// training. Layer x step heatmaps of normalised entropy, Sink_1 and ln first-token norm ratio, one
// row of panels per series, with the first step at which each signature appears marked.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import { DIVERGING_SCHEME, REFERENCE_COLOR, SEQUENTIAL_SCHEME } from '../theme.js';
import type { NonNormalizedSpec, TopLevelSpec } from '../vl-types.js';
import { figureSpec, numberTip, textTip, uniformRows } from './common.js';

const FIGURE = 'checkpointDynamicsFigure';

/** The first step at which each signature appears, per series (null: never). */
export interface SignatureOnsets {
  series: string;
  sink: number | null;
  massive: number | null;
  valley: number | null;
}

export function checkpointDynamicsFigure(dynamics: RowSource, caption: CaptionContext, onsets: readonly SignatureOnsets[] = []): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const rows = readTable(FIGURE, 'dynamics', dynamics, ['series', 'step', 'model', 'hidden_index', 'relative_depth', 'entropy_normalized', 'sink_rate', 'log_norm_ratio']);
  const marks = onsets.flatMap((o) =>
    (['sink', 'massive', 'valley'] as const).flatMap((signature) => (o[signature] === null ? [] : [{ series: o.series, signature, step: o[signature] as number }])),
  );
  const heatmap = (field: string, title: string, scheme: typeof SEQUENTIAL_SCHEME | typeof DIVERGING_SCHEME, domain?: [number, number]): NonNormalizedSpec => ({
    facet: { row: { field: 'series', type: 'nominal', title: null } },
    spec: { layer: [
      {
        transform: [{ filter: "datum.row_kind === 'cell'" }],
        mark: { type: 'rect' },
        encoding: {
          x: { field: 'step', type: 'ordinal', title: 'training step', sort: 'ascending' },
          y: { field: 'hidden_index', type: 'ordinal', title: 'hidden state index', sort: 'descending' },
          color: { field, type: 'quantitative', title, scale: { scheme, ...(domain ? { domain } : {}), ...(scheme === DIVERGING_SCHEME ? { domainMid: 0 } : {}) } },
          tooltip: [textTip('series'), textTip('model'), textTip('step'), textTip('hidden_index', 'hidden index'), numberTip(field, title)],
        },
      },
      {
        transform: [{ filter: "datum.row_kind === 'onset'" }],
        mark: { type: 'text', dy: -4, baseline: 'bottom', color: REFERENCE_COLOR, fontSize: 9 },
        encoding: { x: { field: 'step', type: 'ordinal', sort: 'ascending', bandPosition: 0.5 }, y: { value: 0 }, text: { field: 'signature' } },
      },
    ] },
  });
  const data = uniformRows([...rows.map((r) => ({ ...r, row_kind: 'cell' })), ...marks.map((m) => ({ ...m, row_kind: 'onset' }))]);
  return figureSpec({
    title: figureTitle('Checkpoint dynamics: layer x step heatmaps of entropy, Sink₁ and ln norm ratio', context, [
      `first step with each signature (sink / massive / valley) written above the heatmaps`,
    ]),
    datasets: { dynamics: data },
    data: 'dynamics',
    body: {
      hconcat: [
        heatmap('entropy_normalized', 'H / ln T', SEQUENTIAL_SCHEME),
        heatmap('sink_rate', 'Sink₁', SEQUENTIAL_SCHEME, [0, 1]),
        heatmap('log_norm_ratio', 'ln norm ratio', DIVERGING_SCHEME),
      ],
      resolve: { scale: { color: 'independent' } },
    },
  });
}
