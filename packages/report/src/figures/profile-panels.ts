// The three stacked per-layer panels of the compression-valley figure (Queipo-de-Llano et al. 2025,
// fig. 1): first-token norm ratio, Sink_1 rate, and normalised matrix entropy with its bound. Shared
// by the layer profile (one curve per panel) and the ablation comparison (one curve per series).
import { BOUND_DASH, OKABE_ITO, REFERENCE_COLOR, TOKEN_GROUP_COLORS } from '../theme.js';
import type { ColorDef, Field, NonNormalizedSpec, PositionDef, UnitSpec } from '../vl-types.js';
import { hiddenIndexX, modelColumns, ONE_ROW, normalisedEntropyY, normRatioY, numberTip, sinkRateY, textTip } from './common.js';
import type { TipDef } from './common.js';

/** Rows the panels read (one per model, hidden_index and, for ablations, series). */
export interface ProfileRow {
  model: string;
  hidden_index: number;
  sink_rate: number | null;
  norm_ratio: number | null;
  entropy_normalized: number | null;
  /** entropy_bound / ln T: the bound normalised like the measured entropy. */
  entropy_bound_normalized: number | null;
  /** hidden_index / L (the x of `relative-depth` panels). */
  relative_depth?: number | null;
  /** The model's transition layer (largest rise of ln first-token norm): marked by a vertical rule. */
  transition?: boolean;
  /** The x of the transition rule on the transition row (hidden_index or relative_depth), else null. */
  transition_x?: number | null;
  /** Spread over sequences (`<column>_lo`, `<column>_hi`: mean -+ 1 std, or the quartiles), drawn as a band. */
  norm_ratio_lo?: number | null;
  norm_ratio_hi?: number | null;
  sink_rate_lo?: number | null;
  sink_rate_hi?: number | null;
  entropy_normalized_lo?: number | null;
  entropy_normalized_hi?: number | null;
}

/** Layout of the panels: the x axis and whether bands and the transition rule are drawn. */
export interface PanelLayout {
  /** x = hidden_index (default) or relative_depth (hidden_index / L, so models of different depth overlay). */
  depthAxis?: 'hidden-index' | 'relative-depth';
  /** Draw the `<column>_lo`..`<column>_hi` bands (default false). */
  bands?: boolean;
  /** Draw a dotted rule at each model's transition layer (default false). */
  transition?: boolean;
}

/** The x encoding of a per-layer panel. */
export function depthX(axis: PanelLayout['depthAxis'] = 'hidden-index'): PositionDef<Field> {
  return axis === 'relative-depth'
    ? { field: 'relative_depth', type: 'quantitative', title: 'relative depth (hidden index / L)', scale: { domain: [0, 1], nice: false } }
    : hiddenIndexX();
}

/**
 * A band (area between `<field>_lo` and `<field>_hi`) and, with `rule`, the transition rule, layered
 * under a panel's curve. The rule goes in the norm-ratio panel only: one more layer per panel sends
 * Vega-Lite's dataflow optimiser past its iteration limit (a warning) once the bands are drawn.
 */
function underlays(layout: PanelLayout, field: string, color: string, logY = false, rule = false): UnitSpec<Field>[] {
  const out: UnitSpec<Field>[] = [];
  if (layout.bands) {
    // rows without a band hold nulls, which the area leaves out (no filter transform: one per panel
    // sends Vega-Lite's dataflow optimiser past its iteration limit)
    out.push({
      mark: { type: 'area', opacity: 0.18, color },
      encoding: { x: depthX(layout.depthAxis), y: { field: `${field}_lo`, type: 'quantitative', ...(logY ? { scale: { type: 'log' } } : {}) }, y2: { field: `${field}_hi` } },
    });
  }
  if (layout.transition && rule) {
    // `transition_x` holds the depth on the transition row and null elsewhere (no filter transform)
    out.push({
      mark: { type: 'rule', strokeDash: [1, 3], color: REFERENCE_COLOR },
      encoding: { x: { ...depthX(layout.depthAxis), field: 'transition_x' } as PositionDef<Field> },
    });
  }
  return out;
}

export const ENTROPY_CURVES = { measured: 'measured H / ln T', bound: 'bound / ln T' } as const;

/** How curves are coloured: fixed colours (layer profile) or one colour per series (ablation). */
export type ProfileColoring =
  | { kind: 'fixed' }
  | { kind: 'series'; field: string; title: string; domain: readonly string[]; range: readonly string[] };

/**
 * Normalises the entropy bound like the measured entropy: H / ln T (Queipo-de-Llano et al. 2025
 * report entropies in units of their maximum ln T). Errors if T cannot normalise (T < 2).
 */
export function normaliseBound(bound: number | null, seqLen: number, where: () => string): number | null {
  if (!Number.isInteger(seqLen) || seqLen < 2) {
    throw new RangeError(`${where()}: seq_len must be an integer >= 2 to normalise entropy_bound by ln T (got ${seqLen})`);
  }
  return bound === null ? null : bound / Math.log(seqLen);
}

function seriesColor(coloring: ProfileColoring, fixed: string): ColorDef<Field> {
  return coloring.kind === 'fixed'
    ? { value: fixed }
    : {
        field: coloring.field,
        type: 'nominal',
        title: coloring.title,
        scale: { domain: [...coloring.domain], range: [...coloring.range] },
        legend: { symbolType: 'stroke' },
      };
}

function tooltip(coloring: ProfileColoring, ...entries: TipDef[]): TipDef[] {
  const series = coloring.kind === 'series' ? [textTip(coloring.field)] : [];
  return [textTip('model'), ...series, textTip('hidden_index', 'hidden index'), ...entries];
}

/** Three facet-by-model panels stacked top to bottom; scales independent across models where magnitudes differ. */
export function profilePanels(coloring: ProfileColoring, layout: PanelLayout = {}): NonNormalizedSpec[] {
  const x = depthX(layout.depthAxis);
  const normRatio: NonNormalizedSpec = {
    facet: modelColumns(true),
    spec: {
      layer: [
        {
          // ratio 1: the first token is as long as the others
          transform: [ONE_ROW],
          mark: { type: 'rule', strokeDash: [2, 2], color: REFERENCE_COLOR },
          encoding: { y: { datum: 1, type: 'quantitative' } },
        },
        ...underlays(layout, 'norm_ratio', TOKEN_GROUP_COLORS.first, true, true),
        {
          mark: { type: 'line', point: true },
          encoding: {
            x,
            y: normRatioY(),
            color: seriesColor(coloring, TOKEN_GROUP_COLORS.first),
            tooltip: tooltip(coloring, numberTip('norm_ratio', 'norm ratio')),
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
  const sinkRate: NonNormalizedSpec = {
    facet: modelColumns(false),
    spec: {
      layer: [
        ...underlays(layout, 'sink_rate', OKABE_ITO.black),
        {
          mark: { type: 'line', point: true },
          encoding: {
            x,
            y: sinkRateY(),
            color: seriesColor(coloring, OKABE_ITO.black),
            tooltip: tooltip(coloring, { field: 'sink_rate', type: 'quantitative', format: '.2%', title: 'Sink₁ rate' }),
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent' }, axis: { y: 'independent' } },
  };
  const curveDash = {
    field: 'entropy_curve',
    type: 'nominal' as const,
    title: 'entropy',
    scale: { domain: [ENTROPY_CURVES.measured, ENTROPY_CURVES.bound], range: [[1, 0], BOUND_DASH] },
    legend: { symbolType: 'stroke' },
  };
  const entropy: NonNormalizedSpec = {
    facet: modelColumns(false),
    spec: {
      layer: [
        ...underlays(layout, 'entropy_normalized', OKABE_ITO.black),
        {
      transform: [
        { fold: ['entropy_normalized', 'entropy_bound_normalized'], as: ['entropy_column', 'entropy_value'] },
        {
          calculate: `datum.entropy_column === 'entropy_normalized' ? '${ENTROPY_CURVES.measured}' : '${ENTROPY_CURVES.bound}'`,
          as: 'entropy_curve',
        },
      ],
      mark: { type: 'line', point: true },
      encoding: {
        x,
        y: normalisedEntropyY('entropy_value'),
        strokeDash: curveDash,
        color:
          coloring.kind === 'fixed'
            ? {
                field: 'entropy_curve',
                type: 'nominal',
                title: 'entropy',
                scale: { domain: [ENTROPY_CURVES.measured, ENTROPY_CURVES.bound], range: [OKABE_ITO.black, REFERENCE_COLOR] },
                legend: { symbolType: 'stroke' },
              }
            : seriesColor(coloring, OKABE_ITO.black),
        tooltip: tooltip(coloring, textTip('entropy_curve', 'curve'), numberTip('entropy_value', 'value')),
      },
        },
      ],
    },
    resolve: { scale: { x: 'independent' }, axis: { y: 'independent' } },
  };
  return [normRatio, sinkRate, entropy];
}
