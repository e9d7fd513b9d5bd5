import type { RecordBatch } from 'apache-arrow';
import { ACTIVATIONS_KIND } from '../kinds/activations.js';
import type { ModelPlan } from '../plan/model-plan.js';
import type { PipelineContext } from '../run/context.js';

/** Every sequence's record batch of a model's activations, shard after shard (global sequence order). */
export async function* activationBatches(ctx: PipelineContext, plan: ModelPlan, step: string): AsyncGenerator<RecordBatch> {
  for (const shard of plan.shards) {
    const batches = await ctx.store.readBatches(ACTIVATIONS_KIND, shard.key);
    if (!batches) {
      const which = plan.shards.length > 1 ? ` of shard ${shard.index} (sequences ${shard.start}-${shard.end - 1})` : '';
      throw new Error(`${step} ${plan.model.ref.name}: activations ${shard.key.slice(0, 12)}${which} are missing (run the extract step first)`);
    }
    yield* batches;
  }
}

