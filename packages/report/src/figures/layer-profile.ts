// Figure 1: the per-layer profile behind the compression valley (Queipo-de-Llano et al. 2025):
// first-token norm ratio, Sink_1 rate and normalised matrix entropy against hidden_index.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import type { TopLevelSpec } from '../vl-types.js';
import { figureSpec } from './common.js';
import { normaliseBound, profilePanels } from './profile-panels.js';
import type { ProfileRow } from './profile-panels.js';

const FIGURE = 'layerProfileFigure';

/** Columns of the `layers` table this figure reads. */
export const LAYER_PROFILE_COLUMNS = [
  'model',
  'hidden_index',
  'sink_rate',
  'norm_ratio',
  'entropy_normalized',
  'entropy_bound',
  'seq_len',
] as const;

/**
 * Per-layer profile from `layers` rows: one column of panels per model. The entropy bound is
 * normalised like the measured entropy (divided by ln T, T = the row's seq_len) and drawn dashed
 * beside it. `sink_rate` is NaN at hidden_index 0 (embeddings have no attention) and is left out.
 */
export function layerProfileFigure(layers: RowSource, caption: CaptionContext): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const rows = readTable(FIGURE, 'layers', layers, LAYER_PROFILE_COLUMNS);
  const profile: ProfileRow[] = rows.map((row, index) => ({
    model: row.model,
    hidden_index: row.hidden_index,
    sink_rate: row.sink_rate,
    norm_ratio: row.norm_ratio,
    entropy_normalized: row.entropy_normalized,
    entropy_bound_normalized: normaliseBound(row.entropy_bound, row.seq_len, () => `${FIGURE}: table 'layers' row ${index}`),
  }));
  return figureSpec({
    title: figureTitle('Per-layer profile: first-token norm ratio, Sink₁ rate, matrix entropy', context, [
      'dashed: entropy bound, normalised by ln T like the measured entropy',
    ]),
    datasets: { layers: profile },
    data: 'layers',
    body: { vconcat: profilePanels({ kind: 'fixed' }) },
  });
}
