// @sinkscope/report: paper-style Vega-Lite figures of attention-sink and compression-valley
// artifacts, headless SVG/PNG export, and an offline HTML report.
export type { CaptionContext } from './caption.js';
export { captionText } from './caption.js';
export { TABLES } from './tables.js';
export type { CellKind, RowSource, TableName } from './tables.js';
export {
  DIVERGING_SCHEME,
  FONT_FAMILY,
  OKABE_ITO,
  SEQUENTIAL_SCHEME,
  SERIES_COLORS,
  THEME,
  TOKEN_GROUP_COLORS,
  TOKEN_GROUP_LABELS,
} from './theme.js';

export { LAYER_PROFILE_COLUMNS, layerProfileFigure } from './figures/layer-profile.js';
export { HEAD_HEATMAP_COLUMNS, headSinkHeatmapFigure } from './figures/head-heatmap.js';
export { ATTENTION_PATTERN_COLUMNS, attentionPatternFigure } from './figures/attention-pattern.js';
export type { AttentionPatternOptions } from './figures/attention-pattern.js';
export type { MapSelection } from './figures/map-selection.js';
export { NORMS_COLUMNS, QK_COLUMNS, firstTokenNormsFigure } from './figures/first-token-norms.js';
export type { FirstTokenNormsOptions } from './figures/first-token-norms.js';
export { SINK_SWEEP_COLUMNS, sinkSweepFigure } from './figures/sink-sweep.js';
export type { SinkSweepOptions } from './figures/sink-sweep.js';
export { MASSIVE_COLUMNS, massiveActivationsFigure } from './figures/massive-activations.js';
export type { MassiveActivationsOptions } from './figures/massive-activations.js';
export { ABLATION_COLUMNS, ABLATION_ROLES, ablationFigure } from './figures/ablation.js';
export type { AblationOptions, AblationRole } from './figures/ablation.js';
export { TRAINING_COLUMNS, trainingFigure } from './figures/training.js';
export { SINK_K_COLUMNS, sinkKFigure } from './figures/sink-k.js';
export { SINK_PARAMS_COLUMNS, sinkParamsFigure } from './figures/sink-params.js';
export { qkGridFigure } from './figures/qk-grid.js';
export type { QkGridHead, QkGridOptions } from './figures/qk-grid.js';
export { DATASET_SINKS_COLUMNS, datasetSinksFigure } from './figures/dataset-sinks.js';
export { DOSE_RESPONSE_COLUMNS, doseResponseFigure } from './figures/dose-response.js';
export type { TrainingOptions } from './figures/training.js';

// issue 16: Queipo-de-Llano et al. 2025's figures
export type { LayerProfileOptions } from './figures/layer-profile.js';
export { sequenceBands, spread, type BandKind, type BandRow } from './figures/bands.js';
export { theorem1BoundFigure, THEOREM1_LAYER_COLUMNS, THEOREM1_SEQUENCE_COLUMNS, type Theorem1BoundOptions } from './figures/theorem1-bound.js';
export { entropyOverlayFigure, type EntropyOverlayOptions } from './figures/entropy-overlay.js';
export { mixCompressRefineFigure, PHASE_COLUMNS } from './figures/mix-compress-refine.js';
export { depthTasksFigure, type DepthTaskTables } from './figures/depth-tasks.js';
export { checkpointDynamicsFigure, type SignatureOnsets } from './figures/checkpoint-dynamics.js';

export { compileToVega } from './render/compile.js';
export type { WarningHandler } from './render/compile.js';
export { renderSvg } from './render/svg.js';
export type { RenderSvgOptions } from './render/svg.js';
export { pngSize, renderPng, svgToPng } from './render/png.js';
export type { RenderPngOptions } from './render/png.js';
export { vegaLiteSchemaErrors } from './validate.js';

export { writeReport } from './page/write-report.js';
export { markdownTable } from './page/markdown.js';
export type { ReportFigure, WriteReportOptions, WrittenFigure, WrittenReport } from './page/write-report.js';
export type { ReportTable } from './page/report-table.js';
export { formatNumber } from './format.js';
export type { TopLevelSpec } from './vl-types.js';
