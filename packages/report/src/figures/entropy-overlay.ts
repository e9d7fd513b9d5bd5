// Queipo-de-Llano et al. 2025, Fig. 2: the compression valley prompt by prompt. The normalised matrix
// entropy of individual sequences (thin lines) with their mean (thick), one panel per model.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import { OKABE_ITO, TOKEN_GROUP_COLORS } from '../theme.js';
import type { TopLevelSpec } from '../vl-types.js';
import { figureSpec, modelColumns, normalisedEntropyY, numberTip, textTip } from './common.js';
import { depthX } from './profile-panels.js';

const FIGURE = 'entropyOverlayFigure';

export interface EntropyOverlayOptions {
  /** Sequences drawn (the first ones by index); default 20. */
  sequences?: number;
  depthAxis?: 'hidden-index' | 'relative-depth';
  /** Number of blocks L per model (relative depth = hidden_index / L); required for relative depth. */
  blocks?: Readonly<Record<string, number>>;
}

export function entropyOverlayFigure(sequences: RowSource, caption: CaptionContext, options: EntropyOverlayOptions = {}): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const n = options.sequences ?? 20;
  const rows = readTable(FIGURE, 'entropy_sequences', sequences, ['model', 'hidden_index', 'sequence', 'entropy_normalized']).map((r) => ({
    ...r,
    relative_depth: options.blocks?.[r.model] ? r.hidden_index / options.blocks[r.model] : null,
  }));
  if (options.depthAxis === 'relative-depth' && rows.some((r) => r.relative_depth === null)) throw new RangeError(`${FIGURE}: relative depth needs options.blocks for every model`);
  const shown = rows.filter((r) => r.sequence < n);
  const x = depthX(options.depthAxis);
  return figureSpec({
    title: figureTitle(`Matrix entropy per prompt: ${Math.min(n, new Set(rows.map((r) => r.sequence)).size)} sequences and their mean`, context, ['thin: one sequence each; thick: the mean over all sequences']),
    datasets: { entropy_sequences: shown, all: rows },
    data: 'entropy_sequences',
    body: {
      facet: modelColumns(true),
      spec: {
        layer: [
          {
            mark: { type: 'line', strokeWidth: 0.8, opacity: 0.45, color: TOKEN_GROUP_COLORS.other },
            encoding: { x, y: normalisedEntropyY('entropy_normalized'), detail: { field: 'sequence', type: 'nominal' }, tooltip: [textTip('sequence'), textTip('hidden_index', 'hidden index'), numberTip('entropy_normalized', 'H / ln T')] },
          },
          {
            transform: [{ aggregate: [{ op: 'mean', field: 'entropy_normalized', as: 'mean_entropy' }], groupby: ['hidden_index', 'relative_depth'] }],
            mark: { type: 'line', strokeWidth: 2.5, color: OKABE_ITO.black, point: true },
            encoding: { x, y: normalisedEntropyY('mean_entropy'), tooltip: [textTip('hidden_index', 'hidden index'), numberTip('mean_entropy', 'mean H / ln T')] },
          },
        ],
      },
      resolve: { scale: { x: 'independent' } },
    },
  });
}
