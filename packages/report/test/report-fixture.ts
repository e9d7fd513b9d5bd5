// A report with every figure, written from the test rows; shared by the report and browser tests.
import * as figures from '../src/index.js';
import type { ReportFigure } from '../src/index.js';
import * as rows from './rows.js';

export function allFigures(): ReportFigure[] {
  return [
    { id: 'layer-profile', paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 1', title: 'Per-layer profile', spec: figures.layerProfileFigure([...rows.layersRows('gpt2'), ...rows.layersRows('llama')], { ...rows.CAPTION, models: ['gpt2', 'llama'] }) },
    { id: 'head-alpha', paperFigure: 'Gu et al. 2025, Figs. 19-24', title: 'Mean α₁ per head', spec: figures.headSinkHeatmapFigure([...rows.headsRows('gpt2'), ...rows.headsRows('qwen2')], { ...rows.CAPTION, models: ['gpt2', 'qwen2'] }) },
    { id: 'attention-pattern', paperFigure: 'Gu et al. 2025, Sec. 2', title: 'Attention pattern', spec: figures.attentionPatternFigure(rows.patternRows('gpt2', 0, 0, 0), rows.CAPTION) },
    { id: 'first-token-norms', paperFigure: 'Gu et al. 2025, Fig. 2', title: 'First-token norms and q-k', spec: figures.firstTokenNormsFigure({ norms: rows.normsRows('gpt2'), qk: rows.qkRows() }, rows.CAPTION) },
    { id: 'sink-sweep', paperFigure: 'Gu et al. 2025, Figs. 3-4', title: 'Sink₁ sweep', spec: figures.sinkSweepFigure(rows.sinkSweepRows(), { ...rows.CAPTION, models: ['gpt2', 'llama'], seqLen: [64, 128, 256], eps: [0.1, 0.3, 0.5] }) },
    { id: 'massive-activations', paperFigure: 'Sun et al. 2024, Sec. 2', title: 'Massive activations', spec: figures.massiveActivationsFigure(rows.massiveRows(), rows.CAPTION, { emergenceHiddenIndex: 2 }) },
    { id: 'ablation', paperFigure: 'Queipo-de-Llano et al. 2025, Sec. 4', title: 'Ablation', spec: figures.ablationFigure(rows.ablationRows(), rows.CAPTION) },
    { id: 'training', paperFigure: 'none: training dynamics', title: 'Training dynamics', spec: figures.trainingFigure(rows.trainingRows(), rows.CAPTION) },
  ];
}

export const METADATA = {
  spec_hash: 'sha256:0f3c',
  model: 'gpt2',
  dataset: 'fixture ids (random)',
  bos_policy: 'prepend BOS',
  seq_len: 17,
  eps: Math.fround(0.3),
};
