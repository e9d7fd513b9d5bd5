import { DYNAMICS, buildRecordBatchFromRows } from '@sinkscope/artifacts';
import { signatureOnsets } from '@sinkscope/metrics';
import * as report from '@sinkscope/report';
import { hashInputs } from '@sinkscope/artifacts';
import { artifactMetadata } from '../../run/context.js';
import type { CaptionContext, ReportFigure } from '@sinkscope/report';
import type { FigureId } from '../../schema/pipeline-schema.js';
import type { PipelineContext } from '../../run/context.js';
import type { ModelTables, Row } from './layers-table.js';

/** The BOS policy as a caption phrase. */
function bosPhrase(ctx: PipelineContext, models: readonly ModelTables[]): string {
  const first = models.every((m) => m.firstIsBos) ? 'first token is BOS' : models.some((m) => m.firstIsBos) ? 'BOS in some models' : 'no BOS';
  return `${ctx.spec.bosPolicy} (${first})`;
}

/** The tables that have rows (a figure's optional tables are left out when empty). */
const nonEmpty = (tables: Record<string, Row[]>): Record<string, Row[]> => Object.fromEntries(Object.entries(tables).filter(([, rows]) => rows.length > 0));

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
  const a = ctx.spec.analyses;
  // relative depth by default when the models differ in depth, so their curves overlay
  const depthAxis = a.depthAxis === 'auto' ? (new Set(models.map((m) => m.layers)).size > 1 ? 'relative-depth' : 'hidden-index') : a.depthAxis;
  const bands = a.band === 'none' ? [] : report.sequenceBands(all(models, 'metrics_sequences'), all(models, 'entropy_sequences'), a.band);
  const dynamics = await checkpointDynamics(ctx, models);
  const builders: Record<FigureId, (() => ReportFigure | undefined) | undefined> = {
    profile: () => ({
      id: 'profile',
      paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 1',
      title: 'Per-layer profile: first-token norm, Sink_1 and matrix entropy with its bound',
      spec: report.layerProfileFigure(all(models, 'layers') as never, caption, { depthAxis, bands, transition: true, absoluteNorms: true }),
    }),
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
        depthAxis,
        blocks: Object.fromEntries(models.map((m) => [m.name, m.layers])),
        ...(models.length === 1 && Number(first.metadata.massive?.emergence_hidden_index ?? -1) >= 0
          ? { emergenceHiddenIndex: Number(first.metadata.massive?.emergence_hidden_index) }
          : {}),
      }),
    }),
    ablation: ablation.length ? () => ({ id: 'ablation', paperFigure: 'Queipo-de-Llano et al. 2025, Sec. 4 (BOS ablations)', title: 'BOS ablations: each curve before and after, against the controls', spec: report.ablationFigure(ablation as never, caption, { seqLen: ctx.spec.seqLen }) }) : undefined,
    training: undefined,
    // issue 16: Queipo-de-Llano et al. 2025
    bound: () => ({ id: 'bound', paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 3', title: 'Theorem 1: measured anisotropy p1 and entropy against their bounds', spec: report.theorem1BoundFigure(all(models, 'layers') as never, all(models, 'entropy_sequences') as never, caption, { depthAxis }) }),
    'entropy-overlay': () =>
      a.overlaySequences > 0
        ? {
            id: 'entropy-overlay',
            paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 2',
            title: `Matrix entropy per prompt (${a.overlaySequences} sequences) and the mean`,
            spec: report.entropyOverlayFigure(all(models, 'entropy_sequences') as never, caption, { sequences: a.overlaySequences, depthAxis, blocks: Object.fromEntries(models.map((m) => [m.name, m.layers])) }),
          }
        : undefined,
    phases: () => ({ id: 'phases', paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 6', title: 'Mix-Compress-Refine: attention scores with the phases shaded', spec: report.mixCompressRefineFigure(all(models, 'layers') as never, caption, { depthAxis: 'relative-depth' }) }),
    depth: () =>
      all(models, 'logit_lens').length + all(models, 'multiple_choice').length + all(models, 'probes').length > 0
        ? {
            id: 'depth',
            paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 7',
            title: 'What each depth is good for: LogitLens loss, multiple choice, linear probes',
            spec: report.depthTasksFigure(nonEmpty({ logitLens: all(models, 'logit_lens'), multipleChoice: all(models, 'multiple_choice'), probes: all(models, 'probes') }) as never, caption),
          }
        : undefined,
    dynamics: () =>
      dynamics.rows.length
        ? { id: 'dynamics', paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 5; Gu et al. 2025, Fig. 4 (middle)', title: 'Checkpoint dynamics: layer x step heatmaps', spec: report.checkpointDynamicsFigure(dynamics.rows as never, caption, dynamics.onsets) }
        : undefined,
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
      ...(dynamics.rows.length ? [{ title: 'Checkpoint dynamics (series x step x hidden state)', rows: dynamics.rows as Row[] }] : []),
      ...(ablation.length ? [{ title: 'Ablations (baseline, targeted, control) per hidden state', rows: ablation as Row[] }] : []),
    ],
    summary,
    onWarning: (w) => ctx.log(`report: ${w}`),
  });
  return written.indexHtml;
}

/**
 * Models sharing a `series` with at least two distinct `step`s: one `dynamics` artifact per series
 * (rows per step and hidden state) and the first step of each signature (Queipo-de-Llano et al.
 * 2025, Fig. 5). Models without a step are left out.
 */
async function checkpointDynamics(ctx: PipelineContext, models: readonly ModelTables[]): Promise<{ rows: Row[]; onsets: report.SignatureOnsets[] }> {
  const bySeries = new Map<string, ModelTables[]>();
  for (const m of models) if (m.step !== undefined) bySeries.set(m.series, [...(bySeries.get(m.series) ?? []), m]);
  const rows: Row[] = [];
  const onsets: report.SignatureOnsets[] = [];
  for (const [series, ms] of bySeries) {
    if (new Set(ms.map((m) => m.step)).size < 2) continue;
    const sorted = [...ms].sort((x, y) => x.step! - y.step!);
    const seriesRows = sorted.flatMap((m) =>
      m.tables.layers.map((r) => ({
        series,
        step: m.step!,
        model: m.name,
        hidden_index: r.hidden_index,
        relative_depth: r.relative_depth,
        entropy_normalized: r.entropy_normalized,
        sink_rate: r.sink_rate,
        log_norm_ratio: Math.log(Number(r.norm_ratio)),
      })),
    );
    const o = signatureOnsets(
      sorted.map((m) => ({
        step: m.step!,
        sinkRate: Number(m.metadata.layer_metrics?.sink_rate_model ?? NaN),
        normRatio: m.tables.layers.map((r) => Number(r.norm_ratio)),
        entropyNormalized: m.tables.layers.map((r) => Number(r.entropy_normalized)),
      })),
      ctx.spec.analyses.dynamics.sinkRate,
      ctx.spec.analyses.phases,
    );
    onsets.push({ series, ...o });
    const key = hashInputs({ dynamics: sorted.map((m) => m.metadata.layers?.spec_hash ?? m.name), layers: sorted.map((m) => m.artifacts.find((x) => x.kind === 'layers')?.key ?? m.name), analyses: ctx.spec.analyses } as never);
    const meta = artifactMetadata(ctx, {
      kind: DYNAMICS.kind,
      model: sorted.map((m) => m.name).join(','),
      dataset: [...new Set(sorted.map((m) => m.datasetName))].join(', '),
      engine: sorted[0].engine,
      backend: sorted[0].backend,
      extra: { series, first_step_sink: o.sink ?? -1, first_step_massive: o.massive ?? -1, first_step_valley: o.valley ?? -1 },
    });
    await ctx.store.ensure(DYNAMICS.kind, key, DYNAMICS.schema, meta, (w) => w.append(buildRecordBatchFromRows(DYNAMICS, seriesRows as never, `dynamics of ${series}`)));
    rows.push(...seriesRows);
  }
  return { rows, onsets };
}
