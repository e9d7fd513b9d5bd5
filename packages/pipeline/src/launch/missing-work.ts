import { ACTIVATIONS_KIND } from '../artifacts/activations.js';
import { LAYER_ENTROPY } from '../artifacts/custom-kinds.js';
import type { PipelineContext } from '../run/context.js';
import { metricsKey } from '../run/keys.js';
import type { StepName } from '../run/steps.js';
import { entropyArtifactKey } from '../steps/entropy.js';
import { activationsRef, type ActivationsRef } from '../steps/extract.js';
import { METRICS_KINDS, metricsArtifactKey } from '../steps/metrics.js';

/** What one model still needs from one step: nothing, the whole step, or (extract) some shards. */
export interface ModelWork {
  readonly model: string;
  readonly ref: ActivationsRef;
  /** extract: the shards whose activations are missing; other steps: []. */
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

/**
 * What `step` still has to compute for one model of the spec (the report is always run). Pass the
 * model's ActivationsRef when planning several steps, so it is resolved once.
 */
export async function modelWork(ctx: PipelineContext, step: StepName, modelIndex: number, known?: ActivationsRef): Promise<ModelWork> {
  const ref = known ?? (await activationsRef(ctx, modelIndex));
  const base = { model: ref.model.ref.name, ref };
  switch (step) {
    case 'extract': {
      const missing: number[] = [];
      for (const shard of ref.shards) if (!(await present(ctx, ACTIVATIONS_KIND, shard.key))) missing.push(shard.index);
      return { ...base, missingShards: missing, needed: missing.length > 0 };
    }
    case 'metrics': {
      const mkey = metricsKey(ref.key, ctx.spec);
      const have = await Promise.all(METRICS_KINDS.map((kind) => present(ctx, kind, metricsArtifactKey(mkey, kind))));
      return { ...base, missingShards: [], needed: !have.every(Boolean) };
    }
    case 'entropy':
      return { ...base, missingShards: [], needed: !(await present(ctx, LAYER_ENTROPY.kind, entropyArtifactKey(ref.key, ctx))) };
    case 'ablate':
      // which runs an ablation needs is only known once it is planned; cached runs are quick hits
      return { ...base, missingShards: [], needed: ctx.spec.ablations.length > 0 };
    case 'report':
      return { ...base, missingShards: [], needed: true };
  }
}
