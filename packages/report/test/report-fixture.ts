// A report with every figure, written from the test rows; shared by the report and browser tests.
import {
  ablationFigure,
  attentionPatternFigure,
  firstTokenNormsFigure,
  headSinkHeatmapFigure,
  layerProfileFigure,
  massiveActivationsFigure,
  sinkSweepFigure,
  trainingFigure,
} from '../src/index.js';
import type { ReportFigure } from '../src/index.js';
import {
  ablationRows,
  CAPTION,
  headsRows,
  layersRows,
  massiveRows,
  normsRows,
  patternRows,
  qkRows,
  sinkSweepRows,
  trainingRows,
} from './rows.js';

export function allFigures(): ReportFigure[] {
  return [
    { id: 'layer-profile', title: 'Per-layer profile', spec: layerProfileFigure([...layersRows('gpt2'), ...layersRows('llama')], { ...CAPTION, models: ['gpt2', 'llama'] }) },
    { id: 'head-alpha', title: 'Mean α₁ per head', spec: headSinkHeatmapFigure([...headsRows('gpt2'), ...headsRows('qwen2')], { ...CAPTION, models: ['gpt2', 'qwen2'] }) },
    { id: 'attention-pattern', title: 'Attention pattern', spec: attentionPatternFigure(patternRows('gpt2', 0, 0, 0), CAPTION) },
    { id: 'first-token-norms', title: 'First-token norms and q-k', spec: firstTokenNormsFigure({ norms: normsRows('gpt2'), qk: qkRows() }, CAPTION) },
    { id: 'sink-sweep', title: 'Sink₁ sweep', spec: sinkSweepFigure(sinkSweepRows(), { ...CAPTION, models: ['gpt2', 'llama'], seqLen: [64, 128, 256], eps: [0.1, 0.3, 0.5] }) },
    { id: 'massive-activations', title: 'Massive activations', spec: massiveActivationsFigure(massiveRows(), CAPTION, { emergenceHiddenIndex: 2 }) },
    { id: 'ablation', title: 'Ablation', spec: ablationFigure(ablationRows(), CAPTION) },
    { id: 'training', title: 'Training dynamics', spec: trainingFigure(trainingRows(), CAPTION) },
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
