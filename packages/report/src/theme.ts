// One theme for every figure: fonts, sizes, grid, and the colour assignments that must not drift
// between figures (first token vs other tokens above all).
import type { Config } from './vl-types.js';

/**
 * Okabe & Ito (2008) colour-blind-safe palette. Vermillion and blue are reserved for the first
 * token and the other tokens; the remaining colours serve every other categorical series.
 */
export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
} as const;

/** Legend labels of the two token groups; every figure that splits tokens uses exactly these. */
export const TOKEN_GROUP_LABELS = {
  first: 'first token',
  other: 'other tokens (mean)',
} as const;

/** The colours of the first token and of the other tokens, the same in every figure. */
export const TOKEN_GROUP_COLORS = {
  first: OKABE_ITO.vermillion,
  other: OKABE_ITO.blue,
} as const;

/** Colour scale for a `token_group` field: domain and range fixed so the pairing never changes. */
export const TOKEN_GROUP_SCALE = {
  domain: [TOKEN_GROUP_LABELS.first, TOKEN_GROUP_LABELS.other],
  range: [TOKEN_GROUP_COLORS.first, TOKEN_GROUP_COLORS.other],
};

/** Categorical colours for series that are not token groups (models, eps, roles, ranks, runs). */
export const SERIES_COLORS: readonly string[] = [
  OKABE_ITO.black,
  OKABE_ITO.orange,
  OKABE_ITO.skyBlue,
  OKABE_ITO.bluishGreen,
  OKABE_ITO.reddishPurple,
  OKABE_ITO.yellow,
];

/** Neutral colour for reference marks (medians, thresholds, bounds without their own series). */
export const REFERENCE_COLOR = '#7a7a7a';

/** Sequential scheme for non-negative magnitudes (attention weights, alpha, |q||k|): viridis is perceptually uniform and colour-blind safe. */
export const SEQUENTIAL_SCHEME = 'viridis';

/** Diverging scheme for signed quantities centred on 0 (cos(q, k)); blue-orange is colour-blind safe. */
export const DIVERGING_SCHEME = 'blueorange';

/** Dash pattern of upper bounds and other derived reference curves (solid = measured). */
export const BOUND_DASH = [5, 3];

/** Font stack: Helvetica-like first for browsers, DejaVu Sans as the fallback the PNG rasteriser finds on Linux. */
export const FONT_FAMILY = 'Helvetica Neue, Helvetica, Arial, DejaVu Sans, Liberation Sans, sans-serif';

/** Panel sizes in pixels. */
export const PANEL = { width: 260, height: 150, heatmapMaxSide: 360 } as const;

/** The Vega-Lite `config` every figure carries. */
export const THEME: Config = {
  background: 'white',
  padding: 8,
  font: FONT_FAMILY,
  title: {
    fontSize: 14,
    fontWeight: 'bold',
    anchor: 'start',
    offset: 10,
    subtitleFontSize: 11,
    subtitleColor: '#444444',
    subtitlePadding: 4,
  },
  axis: {
    labelFontSize: 10,
    titleFontSize: 11,
    titleFontWeight: 'normal',
    labelColor: '#222222',
    titleColor: '#222222',
    domainColor: '#555555',
    tickColor: '#555555',
    gridColor: '#e5e5e5',
    gridWidth: 0.6,
  },
  // same y-axis width whatever the labels ('1' or '100%'), so stacked panels line up
  axisY: { minExtent: 36 },
  legend: {
    labelFontSize: 10,
    titleFontSize: 11,
    titleFontWeight: 'normal',
    symbolStrokeWidth: 2,
    labelLimit: 260,
  },
  header: {
    labelFontSize: 11,
    labelFontWeight: 'bold',
    titleFontSize: 11,
  },
  view: { continuousWidth: PANEL.width, continuousHeight: PANEL.height, stroke: null },
  line: { strokeWidth: 1.8 },
  point: { size: 26, filled: true },
  rule: { strokeWidth: 1.2 },
  range: { category: [...SERIES_COLORS] },
  concat: { spacing: 28 },
  facet: { spacing: 18 },
};
