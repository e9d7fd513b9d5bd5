// The three heatmaps of one q-k map (Gu et al. 2025, figs. 15-18): the raw score q·kᵀ, its angle
// cos(q, k) and its length |q||k| (q·kᵀ = |q||k| cos). Shared by the norms figure and the q-k grid.
import { DIVERGING_SCHEME, SEQUENTIAL_SCHEME } from '../theme.js';
import type { NonNormalizedSpec } from '../vl-types.js';
import { numberTip, textTip } from './common.js';
import { positionEncoding } from './map-selection.js';

export type QkField = 'dot' | 'cos' | 'norm_product';

export const QK_FIELD_TITLES: Record<QkField, string> = { dot: 'q·kᵀ', cos: 'cos(q, k)', norm_product: '|q| |k|' };

function colorOf(field: QkField, legend: boolean) {
  const title = QK_FIELD_TITLES[field];
  const legendSpec = legend ? {} : { legend: null };
  switch (field) {
    case 'dot':
      // signed and unbounded: diverging, white at 0
      return { field, type: 'quantitative' as const, title, scale: { scheme: DIVERGING_SCHEME, domainMid: 0 }, ...legendSpec };
    case 'cos':
      return { field, type: 'quantitative' as const, title, scale: { scheme: DIVERGING_SCHEME, domain: [-1, 1] }, ...legendSpec };
    case 'norm_product':
      return { field, type: 'quantitative' as const, title, scale: { scheme: SEQUENTIAL_SCHEME, zero: true }, ...legendSpec };
  }
}

/** One heatmap over `shown` positions (causal cells only) of the dataset `data`, square cells of `step` px. */
export function qkHeatmap(field: QkField, data: string, shown: number, step: number, options: { title?: string; legend?: boolean } = {}): NonNormalizedSpec {
  return {
    title: { text: options.title ?? QK_FIELD_TITLES[field], fontSize: 12 },
    data: { name: data },
    width: { step },
    height: { step },
    mark: { type: 'rect', aria: false }, // no per-cell ARIA labels: they would triple the SVG of a T × T map
    encoding: {
      ...positionEncoding(shown, step),
      color: colorOf(field, options.legend ?? true),
      tooltip: [textTip('query'), textTip('key'), numberTip('dot', 'q·kᵀ'), numberTip('cos', 'cos(q, k)'), numberTip('norm_product', '|q| |k|')],
    },
  };
}
