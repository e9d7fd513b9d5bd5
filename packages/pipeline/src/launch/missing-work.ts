import { ACTIVATIONS_KIND } from '../kinds/activations.js';
import { LAYER_ENTROPY, METRICS_KINDS } from '../kinds/step-kinds.js';
import { modelPlans, type ModelPlan } from '../plan/model-plan.js';
import type { PipelineContext } from '../run/context.js';
import type { StepName } from '../run/steps.js';

/** What one model still needs from one step: nothing, the whole step, or (extract) some shards. */
export interface ModelWork {
  readonly model: string;
  /** One plan per dataset of the spec. */
  readonly plans: readonly ModelPlan[];
  /** extract: the shards (indices over all the model's datasets) whose activations are missing; other steps: []. */
  readonly missingShards: readonly number[];
  /** True when a job must run for this model and step. */
  readonly needed: boolean;
}

/**
 * Presence is read from manifests only (cheap: no data read), so planning a rerun of a large sweep
 * does not download every artifact; a corrupt artifact is still caught and removed by the reading
 * step, and the next rerun then submits it.
 */
async function present(ctx: PipelineContext, kind: string, key: string): Promise<boolean> {
  return (await ctx.store.manifest(kind, key)) !== undefined;
}

/** What `step` still has to compute for one model of the spec (the report is always run). */
export async function modelWork(ctx: PipelineContext, step: StepName, modelIndex: number): Promise<ModelWork> {
  const plans = await modelPlans(ctx, modelIndex);
  const base = { model: plans[0].model.ref.name, plans };
  switch (step) {
    case 'extract': {
      const missing: number[] = [];
      for (const shard of plans.flatMap((p) => p.shards)) if (!(await present(ctx, ACTIVATIONS_KIND, shard.key))) missing.push(shard.index);
      return { ...base, missingShards: missing, needed: missing.length > 0 };
    }
    case 'metrics': {
      const have = await Promise.all(plans.flatMap((plan) => METRICS_KINDS.map((kind) => present(ctx, kind, plan.metricsArtifacts[kind]))));
      return { ...base, missingShards: [], needed: !have.every(Boolean) };
    }
    case 'entropy': {
      const have = await Promise.all(plans.map((plan) => present(ctx, LAYER_ENTROPY.kind, plan.entropyArtifact)));
      return { ...base, missingShards: [], needed: !have.every(Boolean) };
    }
    case 'lens': {
      const kinds: Record<string, string> = { logitLens: 'logit_lens', multipleChoice: 'multiple_choice', probes: 'probes' };
      // the task sets' keys are the same in every dataset's plan; the LogitLens's differ
      const keys = [...new Set(plans.flatMap((plan) => Object.entries(plan.lensArtifacts).filter(([, key]) => key !== null).map(([which, key]) => `${which}\t${key}`)))];
      const have = await Promise.all(keys.map((entry) => { const [which, key] = entry.split('\t'); return present(ctx, kinds[which], key); }));
      return { ...base, missingShards: [], needed: !have.every(Boolean) };
    }
    case 'ablate':
      // which runs an ablation needs is only known once it is planned; cached runs are quick hits
      return { ...base, missingShards: [], needed: ctx.spec.ablations.length > 0 };
    case 'report':
      return { ...base, missingShards: [], needed: true };
  }
}
