import { ablateModel, ablationSummary, checkAblations, type ResidualProfile } from '@sinkscope/ablation';
import { loadExtractionModel } from '@sinkscope/model-io';
import type { Table } from 'apache-arrow';
import { LAYER_METRICS } from '../kinds/step-kinds.js';
import { contextPlans, datasetOf, unitLabel, type ModelPlan } from '../plan/model-plan.js';
import { artifactMetadata, type PipelineContext } from '../run/context.js';
import type { StepReceipt } from '../run/receipt.js';

/**
 * The residual states' first-token norm ratios, top and median |activation| from the metrics step's
 * `layer_metrics` of this model (state L = the final norm's input), if that artifact exists.
 */
async function metricsProfile(ctx: PipelineContext, plan: ModelPlan): Promise<ResidualProfile | undefined> {
  const table: Table | undefined = await ctx.store.read(LAYER_METRICS.kind, plan.metricsArtifacts.layer_metrics);
  if (!table) return undefined;
  type Row = { hidden_index: number; residual_norm_ratio: number; residual_top_activation: number; residual_median_activation: number };
  const rows = table
    .toArray()
    .map((r) => (r as { toJSON(): Row }).toJSON())
    .sort((a, b) => a.hidden_index - b.hidden_index);
  if (rows.length !== plan.model.arch.nLayers + 1) return undefined;
  return {
    normRatios: rows.map((r) => r.residual_norm_ratio),
    topActivation: rows.map((r) => r.residual_top_activation),
    medianActivation: rows.map((r) => r.residual_median_activation),
    preFinalNorm: true,
  };
}

/**
 * ablate: for every model of the spec, the baseline and every ablation of `ablations` with its
 * controls (@sinkscope/ablation), each run its own `ablation` (+ `ablation_sequences`) artifact, so
 * adding one ablation computes only that one. The extract, metrics and entropy artifacts are only
 * read (`layer_metrics`: whether there is a massive activation to ablate, and where it forms). Prints
 * the finding in words, then the before/after table of what ran. A pipeline without
 * `ablations` has nothing to do here.
 */
export async function ablateStep(ctx: PipelineContext): Promise<StepReceipt['artifacts']> {
  const specs = ctx.spec.ablations;
  if (specs.length === 0) {
    ctx.log('ablate: no ablations in the spec');
    return [];
  }
  // every model and dataset resolved, every ablation checked against each model, before any forward pass
  const plans = await contextPlans(ctx);
  for (const plan of plans) {
    checkAblations(specs, plan.model.arch, Math.min(...plan.sequences.map((s) => s.length)), `${ctx.specFile}: model '${plan.model.ref.name}': ablations`);
  }
  const out: StepReceipt['artifacts'][number][] = [];
  for (const plan of plans) {
    const name = plan.model.ref.name;
    const profile = await metricsProfile(ctx, plan);
    const result = await ablateModel({
      store: ctx.store,
      modelName: name,
      arch: plan.model.arch,
      sequences: plan.sequences,
      specs,
      keys: { modelHash: plan.model.contentHash, sequencesHash: plan.sequencesHash, bosPolicy: ctx.spec.bosPolicy, engine: plan.engine, eps: ctx.spec.metrics.eps, entropy: ctx.spec.entropy },
      loadModel: () => loadExtractionModel(plan.model.dir, { engine: ctx.spec.engine }),
      metadata: (kind, version, extra) =>
        artifactMetadata(ctx, { kind, ...(version !== undefined ? { schemaVersion: version } : {}), model: name, dataset: plan.datasetName, engine: plan.engine, backend: plan.backend, extra }),
      ...(profile ? { profile } : {}),
      thresholds: ctx.spec.ablation.massive,
      log: ctx.log,
      where: `${ctx.specFile}: model '${name}': ablations`,
    });
    out.push(...result.artifacts.map((a) => ({ kind: a.kind, key: a.key, model: name, ...datasetOf(plan), cacheHit: a.cacheHit })));
    ctx.print(`\n${ablationSummary(result.finding, result.summaryRows, `## Ablations: ${unitLabel(plan)} (${plan.datasetName}, T = ${ctx.spec.seqLen}, eps = ${ctx.spec.metrics.eps}, ${plan.engine}/${plan.backend})`)}`);
  }
  return out;
}
