import { ablateModel, checkAblations, effectsTable } from '@sinkscope/ablation';
import { loadExtractionModel } from '@sinkscope/model-io';
import type { Table } from 'apache-arrow';
import { LAYER_METRICS } from '../kinds/step-kinds.js';
import { modelPlan, type ModelPlan } from '../plan/model-plan.js';
import { artifactMetadata, type PipelineContext } from '../run/context.js';
import type { StepReceipt } from '../run/receipt.js';

/** First-token norm ratios per hidden state from the metrics step's `layer_metrics` of this model, if that artifact exists. */
async function metricsNormRatios(ctx: PipelineContext, plan: ModelPlan): Promise<number[] | undefined> {
  const table: Table | undefined = await ctx.store.read(LAYER_METRICS.kind, plan.metricsArtifacts.layer_metrics);
  if (!table) return undefined;
  const rows = table
    .toArray()
    .map((r) => (r as { toJSON(): { hidden_index: number; norm_ratio: number } }).toJSON())
    .sort((a, b) => a.hidden_index - b.hidden_index);
  return rows.length === plan.model.arch.nLayers + 1 ? rows.map((r) => r.norm_ratio) : undefined;
}

/**
 * ablate: for every model of the spec, the baseline and every ablation of `ablations` with its
 * controls (@sinkscope/ablation), each run its own `ablation` (+ `ablation_sequences`) artifact, so
 * adding one ablation computes only that one. The extract, metrics and entropy artifacts are only
 * read (`layer_metrics` for `layers: auto`). Prints the before/after table. A pipeline without
 * `ablations` has nothing to do here.
 */
export async function ablateStep(ctx: PipelineContext): Promise<StepReceipt['artifacts']> {
  const specs = ctx.spec.ablations;
  if (specs.length === 0) {
    ctx.log('ablate: no ablations in the spec');
    return [];
  }
  // every model and dataset resolved, every ablation checked against each model, before any forward pass
  const plans: ModelPlan[] = [];
  for (const m of ctx.modelIndices) {
    const plan = await modelPlan(ctx, m);
    checkAblations(specs, plan.model.arch, Math.min(...plan.sequences.map((s) => s.length)), `${ctx.specFile}: model '${plan.model.ref.name}': ablations`);
    plans.push(plan);
  }
  const out: StepReceipt['artifacts'][number][] = [];
  for (const plan of plans) {
    const name = plan.model.ref.name;
    const normRatios = await metricsNormRatios(ctx, plan);
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
      ...(normRatios ? { normRatios } : {}),
      log: ctx.log,
      where: `${ctx.specFile}: model '${name}': ablations`,
    });
    out.push(...result.artifacts.map((a) => ({ kind: a.kind, key: a.key, model: name, cacheHit: a.cacheHit })));
    ctx.print(`\n${effectsTable(result.effects, `## Ablations: ${name} (${plan.datasetName}, T = ${ctx.spec.seqLen}, eps = ${ctx.spec.metrics.eps}, ${plan.engine}/${plan.backend})`)}`);
  }
  return out;
}
