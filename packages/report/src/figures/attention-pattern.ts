// Figure 3: one attention map (layer, head, sequence) as a causal triangle; a sink shows as a
// bright first key column (Gu et al. 2025, attention-map figures).
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import { PANEL, SEQUENTIAL_SCHEME } from '../theme.js';
import type { TopLevelSpec } from '../vl-types.js';
import { figureSpec, heatmapStep, numberTip, textTip } from './common.js';
import { mapNote, positionEncoding, selectMap } from './map-selection.js';
import type { MapSelection } from './map-selection.js';

const FIGURE = 'attentionPatternFigure';

/** Columns of the `pattern` table this figure reads. */
export const ATTENTION_PATTERN_COLUMNS = ['model', 'layer', 'head', 'sequence', 'query', 'key', 'weight'] as const;

export interface AttentionPatternOptions extends MapSelection {
  /** Draw only the first maxTokens query and key positions (T^2/2 cells get heavy in SVG). Default 128. */
  maxTokens?: number;
}

/**
 * Heatmap of attention weights: key position on x, query position on y (query 0 at the top), a
 * sequential colour scale fixed to [0, 1]. Cells above the diagonal are left out when their
 * weights are all exactly 0 (causal masking); a map with mass above the diagonal is drawn whole.
 */
export function attentionPatternFigure(pattern: RowSource, caption: CaptionContext, options: AttentionPatternOptions = {}): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const rows = readTable(FIGURE, 'pattern', pattern, ATTENTION_PATTERN_COLUMNS);
  const map = selectMap(FIGURE, 'pattern', rows, options, options.maxTokens ?? 128);
  const causal = map.rows.every((row) => row.key <= row.query || row.weight === 0);
  const cells = (causal ? map.rows.filter((row) => row.key <= row.query) : map.rows).map(({ query, key, weight }) => ({
    query,
    key,
    weight,
  }));
  const step = heatmapStep(map.shown, PANEL.heatmapMaxSide);
  return figureSpec({
    title: figureTitle('Attention pattern', context, [
      mapNote(map) + (causal ? '' : '; weights above the diagonal are non-zero: full map drawn'),
    ]),
    datasets: { pattern: cells },
    data: 'pattern',
    body: {
      width: { step },
      height: { step },
      mark: { type: 'rect', aria: false }, // no per-cell ARIA labels: they would triple the SVG of a T × T map
      encoding: {
        ...positionEncoding(map.shown),
        color: {
          field: 'weight',
          type: 'quantitative',
          title: 'attention weight',
          scale: { scheme: SEQUENTIAL_SCHEME, domain: [0, 1] },
        },
        tooltip: [textTip('query'), textTip('key'), numberTip('weight', 'weight')],
      },
    },
  });
}
