import * as report from '@sinkscope/report';
import type { CaptionContext, ReportFigure } from '@sinkscope/report';
import type { FigureId } from '../../schema/pipeline-schema.js';
import type { PipelineContext } from '../../run/context.js';
import type { ModelTables, Row } from './layers-table.js';

/** The BOS policy as a caption phrase. */
function bosPhrase(ctx: PipelineContext, models: readonly ModelTables[]): string {
  const first = models.every((m) => m.firstIsBos) ? 'first token is BOS' : models.some((m) => m.firstIsBos) ? 'BOS in some models' : 'no BOS';
  return `${ctx.spec.bosPolicy} (${first})`;
}

const all = (models: readonly ModelTables[], table: keyof ModelTables['tables']): Row[] => models.flatMap((m) => m.tables[table]);

/**
 * Build the spec's figures from the joined tables and write reports/<pipeline>/ (index.html, figures
 * as SVG/PNG/Vega-Lite JSON, summary.md). Returns the path of index.html.
 */
export async function writeFigures(ctx: PipelineContext, models: readonly ModelTables[], outDir: string, summary: string, ablation: readonly Row[] = []): Promise<string> {
  const caption: CaptionContext = {
    models: models.map((m) => m.name),
    dataset: [...new Set(models.map((m) => m.datasetName))].join(', '),
    seqLen: ctx.spec.seqLen,
    eps: ctx.spec.metrics.eps,
    bosPolicy: bosPhrase(ctx, models),
  };
  const ex = ctx.spec.patternExample;
  const first = models[0];
  const builders: Record<FigureId, (() => ReportFigure | undefined) | undefined> = {
    profile: () => ({ id: 'profile', paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 1', title: 'Per-layer profile: first-token norm, Sink_1 and matrix entropy with its bound', spec: report.layerProfileFigure(all(models, 'layers') as never, caption) }),
    heads: () => ({ id: 'heads', paperFigure: 'Gu et al. 2025, Figs. 19-24', title: 'Mean attention on the first token, alpha_1, per layer and head', spec: report.headSinkHeatmapFigure(all(models, 'heads') as never, caption) }),
    pattern: () => ({
      id: 'pattern',
      paperFigure: 'Gu et al. 2025, Sec. 2 (an attention map with its sink column)',
      title: `Attention pattern of layer ${ex.layer}, head ${ex.head}, sequence ${ex.sequence} (${first.name})`,
      spec: report.attentionPatternFigure(first.tables.pattern as never, { ...caption, models: first.name }, { model: first.name, layer: ex.layer, head: ex.head, sequence: ex.sequence }),
    }),
    norms: () => ({ id: 'norms', paperFigure: 'Gu et al. 2025, Fig. 2', title: 'Norms of the first token vs the others: hidden states, keys and values', spec: report.firstTokenNormsFigure({ norms: all(models, 'norms') as never }, caption) }),
    qk: () => ({
      id: 'qk',
      paperFigure: 'Gu et al. 2025, Fig. 2 and Figs. 15-18 (q-k decomposition)',
      title: `q-k decomposition of layer ${ex.layer}, head ${ex.head} (${first.name}): cos(q,k) and |q||k|`,
      spec: report.firstTokenNormsFigure({ norms: first.tables.norms as never, qk: first.tables.qk as never }, { ...caption, models: first.name }, { model: first.name, layer: ex.layer, head: ex.head }),
    }),
    'sink-sweep': () => ({ id: 'sink-sweep', paperFigure: 'Gu et al. 2025, Figs. 3-4 (Sink₁ against T and ε)', title: 'Sink_1 against sequence length T for several eps', spec: report.sinkSweepFigure(all(models, 'sink_sweep') as never, { ...caption, eps: ctx.spec.metrics.epsSweep, seqLen: ctx.spec.metrics.seqLenSweep }) }),
    'sink-models': () => ({ id: 'sink-models', paperFigure: 'Gu et al. 2025, Figs. 3-4 (Sink₁ across models)', title: 'Sink_1 across models', spec: report.sinkSweepFigure(all(models, 'sink_sweep') as never, { ...caption, eps: ctx.spec.metrics.epsSweep }, { seqLen: ctx.spec.seqLen }) }),
    massive: () => ({
      id: 'massive',
      paperFigure: 'Sun et al. 2024, Sec. 2 (top and median |activation| per layer)',
      title: 'Massive activations: top |activation| per layer with the median',
      spec: report.massiveActivationsFigure(all(models, 'massive') as never, caption, {
        ...(models.length === 1 && Number(first.metadata.massive?.emergence_hidden_index ?? -1) >= 0
          ? { emergenceHiddenIndex: Number(first.metadata.massive?.emergence_hidden_index) }
          : {}),
      }),
    }),
    ablation: ablation.length ? () => ({ id: 'ablation', paperFigure: 'Queipo-de-Llano et al. 2025, Sec. 4 (BOS ablations)', title: 'BOS ablations: each curve before and after, against the controls', spec: report.ablationFigure(ablation as never, caption, { seqLen: ctx.spec.seqLen }) }) : undefined,
    training: undefined,
  };
  const figures: ReportFigure[] = [];
  for (const id of ctx.spec.figures) {
    const fig = builders[id]?.();
    if (fig) figures.push(fig);
    else ctx.log(`report: figure '${id}' needs data this pipeline does not produce; skipped`);
  }
  const written = await report.writeReport({
    outDir,
    title: `${ctx.spec.name}: ${ctx.spec.description || 'attention sinks and compression valleys'}`,
    metadata: {
      pipeline: ctx.spec.name,
      spec_hash: ctx.specHash,
      models: models.map((m) => m.name).join(', '),
      dataset: caption.dataset,
      seq_len: ctx.spec.seqLen,
      eps: ctx.spec.metrics.eps,
      bos_policy: ctx.spec.bosPolicy,
      engine: [...new Set(models.map((m) => `${m.engine} (${m.backend})`))].join(', '),
      entropy_preprocessing: ctx.spec.entropy.center || ctx.spec.entropy.normalizeRows ? `center ${ctx.spec.entropy.center}, normalize rows ${ctx.spec.entropy.normalizeRows}` : 'raw (no centring, no row normalisation)',
      versions: first.metadata.layers?.versions ?? first.metadata.layer_metrics?.versions ?? '',
    },
    figures,
    tables: [
      ...models.map((m) => ({ title: `Per-layer table: ${m.name}`, rows: m.tables.layers })),
      ...(ablation.length ? [{ title: 'Ablations (baseline, targeted, control) per hidden state', rows: ablation as Row[] }] : []),
    ],
    summary,
    onWarning: (w) => ctx.log(`report: ${w}`),
  });
  return written.indexHtml;
}
