// Figure 8: training dynamics (Gu et al. 2025 study when the sink emerges during pre-training):
// loss, Sink_1 rate and the per-layer first-token norm ratio against optimisation step.
import { figureTitle, normaliseCaption } from '../caption.js';
import type { CaptionContext } from '../caption.js';
import { distinct, readTable } from '../tables.js';
import type { RowSource } from '../tables.js';
import { SERIES_COLORS } from '../theme.js';
import type { Field, NonNormalizedSpec, PositionDef, TopLevelSpec } from '../vl-types.js';
import { figureSpec, normRatioY, numberTip, sinkRateY, textTip } from './common.js';

const FIGURE = 'trainingFigure';

/** Columns of the `training` table this figure reads. */
export const TRAINING_COLUMNS = ['run', 'step', 'loss', 'sink_rate', 'layer', 'norm_ratio'] as const;

export interface TrainingOptions {
  /** Symmetric-log step axis (early steps, where the sink forms, get room; step 0 stays drawable). Default false. */
  logStep?: boolean;
}

/**
 * Model-level rows (layer -1) give the loss and Sink_1 panels, one colour per run; layer rows
 * (layer >= 0) give the norm-ratio panel, one line per layer (ordered colour ramp), one panel per
 * run. Without layer rows the norm-ratio panel uses the model-level norm_ratio.
 */
export function trainingFigure(training: RowSource, caption: CaptionContext, options: TrainingOptions = {}): TopLevelSpec {
  const context = normaliseCaption(caption, FIGURE);
  const rows = readTable(FIGURE, 'training', training, TRAINING_COLUMNS);
  for (const [index, row] of rows.entries()) {
    if (row.layer < -1) throw new RangeError(`${FIGURE}: table 'training' row ${index} column 'layer' must be >= -1 (got ${row.layer})`);
  }
  const modelRows = rows.filter((row) => row.layer === -1);
  const layerRows = rows.filter((row) => row.layer >= 0 && row.norm_ratio !== null);
  if (modelRows.length === 0) throw new RangeError(`${FIGURE}: table 'training' has no model-level rows (layer -1) with loss and sink_rate`);
  const useLayers = layerRows.length > 0;
  if (!useLayers && modelRows.every((row) => row.norm_ratio === null)) {
    throw new RangeError(`${FIGURE}: table 'training' has no finite norm_ratio (neither per layer nor model-level)`);
  }
  const runs = distinct(rows.map((row) => row.run));
  if (runs.length > SERIES_COLORS.length) {
    throw new RangeError(`${FIGURE}: ${runs.length} runs but the colour-blind-safe palette has ${SERIES_COLORS.length} colours; split the table`);
  }
  const step: PositionDef<Field> = {
    field: 'step',
    type: 'quantitative',
    title: options.logStep ? 'training step (symlog)' : 'training step',
    scale: options.logStep ? { type: 'symlog', nice: false } : { nice: false },
    axis: { format: '~s', tickMinStep: 1 },
  };
  const runColor = { field: 'run', type: 'nominal' as const, title: 'run', scale: { domain: runs, range: SERIES_COLORS.slice(0, runs.length) }, legend: { symbolType: 'stroke' as const } };
  const modelLevel = { filter: { field: 'layer', equal: -1 } };
  const loss: NonNormalizedSpec = {
    transform: [modelLevel],
    mark: { type: 'line', point: runs.length === 1 && modelRows.length <= 60 },
    encoding: {
      x: step,
      y: { field: 'loss', type: 'quantitative', title: 'loss (nats/token)', scale: { zero: false } },
      color: runColor,
      tooltip: [textTip('run'), textTip('step'), numberTip('loss', 'loss')],
    },
  };
  const sink: NonNormalizedSpec = {
    transform: [modelLevel],
    mark: { type: 'line', point: runs.length === 1 && modelRows.length <= 60 },
    encoding: {
      x: step,
      y: sinkRateY(),
      color: runColor,
      tooltip: [textTip('run'), textTip('step'), { field: 'sink_rate', type: 'quantitative', format: '.2%', title: 'Sink₁ rate' }],
    },
  };
  const normTip = [textTip('run'), textTip('step'), textTip('layer'), numberTip('norm_ratio', 'norm ratio')];
  const norm: NonNormalizedSpec = useLayers
    ? {
        transform: [{ filter: { field: 'layer', gte: 0 } }],
        facet: { column: { field: 'run', type: 'nominal', title: null } },
        spec: {
          mark: { type: 'line' },
          encoding: {
            x: step,
            y: normRatioY(),
            color: { field: 'layer', type: 'ordinal', title: 'layer', scale: { scheme: { name: 'viridis', extent: [0, 0.85] } } },
            tooltip: normTip,
          },
        },
      }
    : {
        transform: [modelLevel],
        mark: { type: 'line' },
        encoding: { x: step, y: normRatioY(), color: runColor, tooltip: normTip },
      };
  // the normalised matrix entropy of the hidden state each layer writes, per layer (the valley forming)
  const entropyRows = readTable(FIGURE, 'training', training, ['entropy_normalized']);
  const hasEntropy = useLayers && rows.some((row, i) => row.layer >= 0 && entropyRows[i].entropy_normalized !== null);
  const entropy: NonNormalizedSpec = {
    transform: [{ filter: { field: 'layer', gte: 0 } }, { filter: 'isValid(datum.entropy_normalized)' }],
    facet: { column: { field: 'run', type: 'nominal', title: null } },
    spec: {
      mark: { type: 'line' },
      encoding: {
        x: step,
        y: { field: 'entropy_normalized', type: 'quantitative', title: 'matrix entropy H / ln T', scale: { zero: false } },
        color: { field: 'layer', type: 'ordinal', title: 'layer', scale: { scheme: { name: 'viridis', extent: [0, 0.85] } } },
        tooltip: [textTip('run'), textTip('step'), textTip('layer'), numberTip('entropy_normalized', 'H / ln T')],
      },
    },
  };
  return figureSpec({
    title: figureTitle('Training dynamics: loss, Sink₁ rate, first-token norm ratio and matrix entropy', context, [
      `runs: ${runs.join(', ')}; norm ratio ${useLayers ? 'per layer' : 'model-level'}`,
    ]),
    datasets: { training: rows.map((row, i) => ({ ...row, entropy_normalized: entropyRows[i].entropy_normalized })) },
    data: 'training',
    // loss and Sink_1 share the run colours; the norm panel's layer ramp is a separate scale
    body: { vconcat: [{ vconcat: [loss, sink] }, norm, ...(hasEntropy ? [entropy] : [])], resolve: { scale: { color: 'independent' } } },
  });
}
