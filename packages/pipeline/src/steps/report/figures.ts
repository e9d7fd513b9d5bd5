import { DYNAMICS, buildRecordBatchFromRows, hashInputs } from '@sinkscope/artifacts';
import { signatureOnsets } from '@sinkscope/metrics';
import * as report from '@sinkscope/report';
import type { CaptionContext, ReportFigure, TopLevelSpec } from '@sinkscope/report';
import type { FigureId } from '../../schema/pipeline-schema.js';
import { artifactMetadata, type PipelineContext } from '../../run/context.js';
import type { ModelTables, Row } from './layers-table.js';
import type { ModelAblations } from './report.js';

/** The BOS policy as a caption phrase. */
function bosPhrase(ctx: PipelineContext, models: readonly ModelTables[]): string {
  const first = models.every((m) => m.firstIsBos) ? 'first token is BOS' : models.some((m) => m.firstIsBos) ? 'BOS in some models' : 'no BOS';
  return `${ctx.spec.bosPolicy} (${first})`;
}

/** The tables that have rows (a figure's optional tables are left out when empty). */
const nonEmpty = (tables: Record<string, Row[]>): Record<string, Row[]> => Object.fromEntries(Object.entries(tables).filter(([, rows]) => rows.length > 0));

/** A table of every (model, dataset), its `model` column set to the label figures show. */
const all = (models: readonly ModelTables[], table: keyof ModelTables['tables']): Row[] => models.flatMap((m) => m.tables[table].map((r) => ({ ...r, model: m.label })));

/** A figure of the registry: its paper counterpart, and its title and spec when the run has its data (several: one per id suffix). */
interface FigureEntry {
  readonly paperFigure: string;
  readonly build: () => { title: string; spec: TopLevelSpec } | readonly { title: string; spec: TopLevelSpec }[] | undefined;
}

/**
 * The ablation figure's inputs, one per (model, targeted ablation): its baseline, the targeted run and
 * its controls (at most 4 series, within the colour-blind-safe palette).
 */
function ablationGroups(rows: readonly Row[]): { model: string; group: string; rows: Row[] }[] {
  const out: { model: string; group: string; rows: Row[] }[] = [];
  for (const model of [...new Set(rows.map((r) => r.model as string))]) {
    const own = rows.filter((r) => r.model === model);
    for (const group of [...new Set(own.filter((r) => r.role === 'targeted').map((r) => r.intervention as string))]) {
      out.push({ model, group, rows: own.filter((r) => r.role === 'baseline' || r.intervention === group || (r.intervention as string).startsWith(`${group} [control:`)) });
    }
  }
  return out;
}

/**
 * Build the spec's figures from the joined tables and write reports/<pipeline>/ (index.html, figures
 * as SVG/PNG/Vega-Lite JSON, summary.md). Returns the path of index.html.
 */
export async function writeFigures(ctx: PipelineContext, models: readonly ModelTables[], outDir: string, summary: string, ablations: readonly ModelAblations[] = []): Promise<string> {
  const caption: CaptionContext = {
    // the models once each; several datasets are named in the dataset part of the caption
    models: [...new Set(models.map((m) => m.name))],
    dataset: [...new Set(models.map((m) => m.datasetName))].join(', '),
    seqLen: ctx.spec.seqLen,
    eps: ctx.spec.metrics.eps,
    bosPolicy: bosPhrase(ctx, models),
  };
  const first = models[0];
  // the example's layer as the metrics step resolved it for the first model (unset: its first block with attention)
  const ex = { ...ctx.spec.patternExample, layer: Number(first.metadata.pattern?.pattern_layer ?? ctx.spec.patternExample.layer ?? 0) };
  const one = { ...caption, models: first.label };
  const ablationRows = ablations.flatMap((a) => a.rows).filter((r) => r.role !== 'dose');
  const doseRows = ablations.flatMap((a) => a.effects).filter((r) => r.role === 'dose');
  const firstMeta = first.metadata;
  const a = ctx.spec.analyses;
  // relative depth by default when the models differ in depth, so their curves overlay
  const depthAxis = a.depthAxis === 'auto' ? (new Set(models.map((m) => m.layers)).size > 1 ? 'relative-depth' : 'hidden-index') : a.depthAxis;
  // blocks per curve, keyed as the curves are (the model's label)
  const blocks = Object.fromEntries(models.map((m) => [m.label, m.layers]));
  const bands = a.band === 'none' ? [] : report.sequenceBands(all(models, 'metrics_sequences'), all(models, 'entropy_sequences'), a.band);
  const dynamics = await checkpointDynamics(ctx, models);
  const qkGrid = (JSON.parse(firstMeta.qk?.qk_grid ?? '[]') as { layer: number; head: number }[]).map(({ layer, head }) => ({
    layer,
    head,
    meanAlpha: Number(first.tables.heads.find((h) => h.layer === layer && h.head === head)?.mean_alpha1),
  }));
  const registry: Record<FigureId, FigureEntry> = {
    profile: {
      paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 1',
      build: () => ({ title: 'Per-layer profile: first-token norm, Sink_1 and matrix entropy with its bound', spec: report.layerProfileFigure(all(models, 'layers') as never, caption, { depthAxis, bands, transition: true, absoluteNorms: true }) }),
    },
    heads: {
      paperFigure: 'Gu et al. 2025, Figs. 19-24',
      build: () => ({ title: 'Mean attention on the first token, alpha_1, per layer and head', spec: report.headSinkHeatmapFigure(all(models, 'heads') as never, caption) }),
    },
    pattern: {
      paperFigure: 'Gu et al. 2025, Sec. 2 (an attention map with its sink column)',
      build: () => ({
        title: `Attention pattern of layer ${ex.layer}, head ${ex.head}, sequence ${ex.sequence} (${first.label})`,
        spec: report.attentionPatternFigure(all([first], 'pattern') as never, one, { model: first.label, layer: ex.layer, head: ex.head, sequence: ex.sequence }),
      }),
    },
    norms: {
      paperFigure: 'Gu et al. 2025, Fig. 2',
      build: () => ({ title: 'Norms of the first token vs the others: hidden states (the last before the final norm), keys and values', spec: report.firstTokenNormsFigure({ norms: all(models, 'norms') as never }, caption) }),
    },
    qk: {
      paperFigure: 'Gu et al. 2025, Fig. 2 and Figs. 15-18 (q-k decomposition)',
      build: () => ({
        title: `q-k decomposition of layer ${ex.layer}, head ${ex.head} (${first.label}): q·k, cos(q,k) and |q||k|`,
        spec: report.firstTokenNormsFigure({ norms: all([first], 'norms') as never, qk: all([first], 'qk') as never }, one, { model: first.label, layer: ex.layer, head: ex.head }),
      }),
    },
    'qk-grid': {
      paperFigure: 'Gu et al. 2025, Figs. 15-18',
      build: () =>
        qkGrid.length
          ? {
              title: `q·k, cos(q,k) and |q||k| of ${ctx.spec.qkMaps.heads === 'alpha-extremes' ? 'the heads with the largest and smallest alpha_1' : 'the chosen heads'} (${first.label})`,
              spec: report.qkGridFigure(all([first], 'qk') as never, qkGrid, one, { model: first.label, maxTokens: ctx.spec.qkMaps.maxTokens, sequence: ex.sequence }),
            }
          : undefined,
    },
    'sink-sweep': {
      paperFigure: 'Gu et al. 2025, Figs. 3-4 (Sink₁ against T and ε)',
      build: () => ({ title: 'Sink_1 against sequence length T for several eps', spec: report.sinkSweepFigure(all(models, 'sink_sweep') as never, { ...caption, eps: ctx.spec.metrics.epsSweep, seqLen: ctx.spec.metrics.seqLenSweep }) }),
    },
    'sink-models': {
      paperFigure: 'Gu et al. 2025, Figs. 3-4 (Sink₁ across models)',
      build: () => ({ title: 'Sink_1 across models', spec: report.sinkSweepFigure(all(models, 'sink_sweep') as never, { ...caption, eps: ctx.spec.metrics.epsSweep }, { seqLen: ctx.spec.seqLen }) }),
    },
    'sink-k': {
      paperFigure: 'Gu et al. 2025, Fig. 5 (middle)',
      build: () => ({
        title: 'Sink_k against the key position k = 1..10',
        // several datasets: one panel per dataset, one line per model
        spec: report.sinkKFigure(
          models.flatMap((m) => m.tables.sink_k.map((r) => ({ ...r, model: m.name, ...(m.label !== m.name ? { dataset: m.datasetLabel } : {}) }))) as never,
          { ...caption, models: [...new Set(models.map((m) => m.name))] },
        ),
      }),
    },
    'sink-params': {
      paperFigure: 'Gu et al. 2025, Fig. 4 (left)',
      build: () => ({
        title: 'Sink_1 against the parameter count, one line per family',
        spec: report.sinkParamsFigure(
          models.filter((m) => m.datasetIndex === 0).map((m) => ({ model: m.name, family: m.family, parameters: m.parameters, sink_rate: Number(m.metadata.layer_metrics?.sink_rate_model) })),
          { ...caption, models: [...new Set(models.map((m) => m.name))], dataset: first.datasetName },
        ),
      }),
    },
    datasets: {
      paperFigure: 'Gu et al. 2025, Table 1',
      build: () =>
        new Set(models.map((m) => m.datasetLabel)).size > 1
          ? {
              title: 'Sink_1 of each model on each dataset',
              spec: report.datasetSinksFigure(
                models.map((m) => ({ model: m.name, dataset: m.datasetLabel, sink_rate: Number(m.metadata.layer_metrics?.sink_rate_model) })),
                { ...caption, models: [...new Set(models.map((m) => m.name))] },
              ),
            }
          : undefined,
    },
    massive: {
      paperFigure: 'Sun et al. 2024, Sec. 2 (top and median |activation| per layer)',
      build: () => ({
        title: 'Massive activations: top |activation| per layer with the median',
        spec: report.massiveActivationsFigure(all(models, 'massive') as never, caption, {
          depthAxis,
          blocks,
          ...(models.length === 1 && Number(firstMeta.massive?.emergence_hidden_index ?? -1) >= 0 ? { emergenceHiddenIndex: Number(firstMeta.massive?.emergence_hidden_index) } : {}),
        }),
      }),
    },
    ablation: {
      paperFigure: 'Queipo-de-Llano et al. 2025, Sec. 4 (BOS ablations)',
      build: () =>
        ablationGroups(ablationRows).map((g) => ({
          title: `BOS ablation ${g.group}${models.length > 1 ? ` (${g.model})` : ''}: each curve before and after, against its controls`,
          spec: report.ablationFigure(g.rows as never, { ...caption, models: g.model }, { seqLen: ctx.spec.seqLen }),
        })),
    },
    'dose-response': {
      paperFigure: 'none: a dose-response of the Queipo-de-Llano et al. 2025 Sec. 4 ablations',
      build: () => (doseRows.length ? { title: 'Dose-response: each reading against the strength of the ablation', spec: report.doseResponseFigure(doseRows as never, caption) } : undefined),
    },
    training: { paperFigure: 'none: training dynamics (sinkscope training-report)', build: () => undefined },
    // issue 16: Queipo-de-Llano et al. 2025
    bound: {
      paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 3',
      build: () => ({ title: 'Theorem 1: measured anisotropy p1 and entropy against their bounds', spec: report.theorem1BoundFigure(all(models, 'layers') as never, all(models, 'entropy_sequences') as never, caption, { depthAxis }) }),
    },
    'entropy-overlay': {
      paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 2',
      build: () =>
        a.overlaySequences > 0
          ? {
              title: `Matrix entropy per prompt (${a.overlaySequences} sequences) and the mean`,
              spec: report.entropyOverlayFigure(all(models, 'entropy_sequences') as never, caption, { sequences: a.overlaySequences, depthAxis, blocks }),
            }
          : undefined,
    },
    phases: {
      paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 6',
      build: () => ({ title: 'Mix-Compress-Refine: attention scores with the phases shaded', spec: report.mixCompressRefineFigure(all(models, 'layers') as never, caption, { depthAxis: 'relative-depth' }) }),
    },
    depth: {
      paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 7',
      build: () =>
        all(models, 'logit_lens').length + all(models, 'multiple_choice').length + all(models, 'probes').length > 0
          ? {
              title: 'What each depth is good for: LogitLens loss, multiple choice, linear probes',
              spec: report.depthTasksFigure(nonEmpty({ logitLens: all(models, 'logit_lens'), multipleChoice: all(models, 'multiple_choice'), probes: all(models, 'probes') }) as never, caption),
            }
          : undefined,
    },
    dynamics: {
      paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 5; Gu et al. 2025, Fig. 4 (middle)',
      build: () => (dynamics.rows.length ? { title: 'Checkpoint dynamics: layer x step heatmaps', spec: report.checkpointDynamicsFigure(dynamics.rows as never, caption, dynamics.onsets) } : undefined),
    },
  };
  const figures: ReportFigure[] = [];
  for (const id of ctx.spec.figures) {
    const entry = registry[id];
    const built = entry.build();
    const list = built === undefined ? [] : Array.isArray(built) ? built : [built as { title: string; spec: TopLevelSpec }];
    list.forEach((figure, i) => figures.push({ id: i === 0 ? id : `${id}-${i + 1}`, paperFigure: entry.paperFigure, ...figure }));
    if (list.length === 0) ctx.log(`report: figure '${id}' needs data this run does not have (${whyMissing(id)}); skipped`);
  }
  const versions = firstMeta.layers?.versions ?? firstMeta.layer_metrics?.versions ?? '';
  const written = await report.writeReport({
    outDir,
    title: `${ctx.spec.name}: ${ctx.spec.description || 'attention sinks and compression valleys'}`,
    metadata: {
      pipeline: ctx.spec.name,
      spec_hash: ctx.specHash,
      models: [...new Set(models.map((m) => m.name))].join(', '),
      dataset: [...new Set(models.map((m) => m.datasetLabel === m.datasetName ? m.datasetName : `${m.datasetLabel} (${m.datasetName})`))].join(', '),
      seq_len: ctx.spec.seqLen,
      eps: ctx.spec.metrics.eps,
      bos_policy: ctx.spec.bosPolicy,
      engine: [...new Set(models.map((m) => `${m.engine} (${m.backend})`))].join(', '),
      entropy_preprocessing: ctx.spec.entropy.center || ctx.spec.entropy.normalizeRows ? `center ${ctx.spec.entropy.center}, normalize rows ${ctx.spec.entropy.normalizeRows}` : 'raw (no centring, no row normalisation)',
      ...(ctx.spec.ablations.length ? { massive_activation_thresholds: JSON.stringify(ctx.spec.ablation.massive) } : {}),
      versions,
    },
    figures,
    tables: [
      ...models.map((m) => ({ title: `Per-layer table: ${m.label}`, rows: m.tables.layers })),
      ...(dynamics.rows.length ? [{ title: 'Checkpoint dynamics (series x step x hidden state)', rows: dynamics.rows }] : []),
      ...(ablationRows.length ? [{ title: 'Ablations (baseline, targeted, control) per hidden state', rows: ablationRows }] : []),
    ],
    summary,
    onWarning: (w) => ctx.log(`report: ${w}`),
  });
  return written.indexHtml;
}

/** Why a figure of the spec has no data in this run. */
function whyMissing(id: FigureId): string {
  switch (id) {
    case 'ablation':
      return 'no ablation ran: see the summary for why';
    case 'dose-response':
      return "no ablation with a dose-response (scale: [...]) ran";
    case 'datasets':
      return "the spec lists one dataset; give several under 'datasets'";
    case 'training':
      return 'training runs are reported by `sinkscope training-report`';
    case 'qk-grid':
      return 'the qk artifact names no grid heads';
    case 'entropy-overlay':
      return 'analyses.overlaySequences is 0';
    case 'depth':
      return 'the lens step wrote nothing: analyses.logitLens is false and no multipleChoice or probes task is set';
    case 'dynamics':
      return "no series has models at two or more training steps (give models a 'series' and a 'step')";
    default:
      return 'unexpected';
  }
}

/**
 * Models sharing a `series` with at least two distinct `step`s: one `dynamics` artifact per series
 * (rows per step and hidden state) and the first step of each signature (Queipo-de-Llano et al.
 * 2025, Fig. 5). Models without a step are left out.
 */
async function checkpointDynamics(ctx: PipelineContext, models: readonly ModelTables[]): Promise<{ rows: Row[]; onsets: report.SignatureOnsets[] }> {
  const bySeries = new Map<string, ModelTables[]>();
  // one series per dataset where the spec lists several (a step's curves are not averaged over datasets)
  const seriesOf = (m: ModelTables) => (m.label === m.name ? m.series : `${m.series} · ${m.datasetLabel}`);
  for (const m of models) if (m.step !== undefined) bySeries.set(seriesOf(m), [...(bySeries.get(seriesOf(m)) ?? []), m]);
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
