import { hookRows, loadExtractionModel, sequenceHeads, sequencePattern, sequenceRows, type ArchSpec, type ExtractionModel, type HookName } from '@sinkscope/model-io';
import { ACTIVATIONS_KIND, ACTIVATIONS_SCHEMA_VERSION, activationsSchema, sequenceBatch, type HookBlock } from '../kinds/activations.js';
import { contextPlans, shardReceiptEntry, unitLabel } from '../plan/model-plan.js';
import { artifactMetadata, type PipelineContext } from '../run/context.js';
import { progressLine } from '../run/progress.js';
import type { StepReceipt } from '../run/receipt.js';

/**
 * One hook of one sequence of `tokens` tokens as rows of the activations artifact (inside the blocks
 * of a sink-token model a sequence has one row more: `hookRows`).
 */
function hookBlock(arch: ArchSpec, hook: HookName, t: { shape: readonly number[]; data: Float32Array }, b: number, tokens: number): HookBlock {
  const len = hookRows(arch, hook, tokens);
  if (hook.endsWith('hook_pattern')) {
    const heads = t.shape[1];
    return { hook, heads, rows: heads * len, width: len, data: sequencePattern(t, b, len) };
  }
  if (hook.endsWith('hook_slot')) {
    // [B,H,T,1]: each query's weight on the attention slot, as [H, len] rows of width 1
    const [, heads, tMax] = t.shape;
    const data = new Float32Array(heads * len);
    for (let h = 0; h < heads; h++) data.set(t.data.subarray((b * heads + h) * tMax, (b * heads + h) * tMax + len), h * len);
    return { hook, heads, rows: heads * len, width: 1, data };
  }
  if (t.shape.length === 4) {
    const heads = t.shape[2];
    const hd = t.shape[3];
    return { hook, heads, rows: heads * len, width: hd, data: sequenceHeads(t, b, len) };
  }
  return { hook, heads: 1, rows: len, width: t.shape[t.shape.length - 1], data: sequenceRows(t, b, len) };
}

/**
 * extract: the forward pass over the dataset, every needed hook of every sequence streamed into one
 * `activations` artifact per model and shard (one record batch per sequence). `ctx.shards` limits the
 * work to some shards (a Slurm array task computes one).
 */
export async function extractStep(ctx: PipelineContext): Promise<StepReceipt['artifacts']> {
  const out: StepReceipt['artifacts'][number][] = [];
  const plans = await contextPlans(ctx);
  if (ctx.shards) {
    for (const m of ctx.modelIndices) {
      const own = plans.filter((p) => p.model.ref === ctx.spec.models[m]).flatMap((p) => p.shards);
      const unknown = ctx.shards.filter((i) => !own.some((s) => s.index === i));
      if (unknown.length) throw new Error(`extract ${ctx.spec.models[m].name}: no shard ${unknown.join(', ')} (the model's datasets have ${own.length} shard${own.length === 1 ? '' : 's'})`);
    }
  }
  for (const plan of plans) {
    const name = unitLabel(plan);
    const selected = ctx.shards ? plan.shards.filter((s) => ctx.shards!.includes(s.index)) : plan.shards;
    let model: ExtractionModel | undefined;
    try {
      for (const shard of selected) {
        const label = plan.shards.length > 1 ? `extract ${name} shard ${shard.index}` : `extract ${name}`;
        const sequences = plan.sequences.slice(shard.start, shard.end);
        const result = await ctx.store.ensure(
          ACTIVATIONS_KIND,
          shard.key,
          activationsSchema(),
          artifactMetadata(ctx, {
            kind: ACTIVATIONS_KIND,
            schemaVersion: ACTIVATIONS_SCHEMA_VERSION,
            model: plan.model.ref.name,
            dataset: plan.datasetName,
            engine: plan.engine,
            backend: plan.backend,
            extra: { hooks: plan.hooks.join(','), first_token_is_bos: plan.firstIsBos, ...(plan.shards.length > 1 || plan.datasetCount > 1 ? { shard: shard.index, shard_start: shard.start, shard_end: shard.end } : {}) },
          }),
          async (writer) => {
            model ??= await loadExtractionModel(plan.model.dir, { engine: plan.engine });
            ctx.log(`${label}: ${sequences.length} sequences x ${ctx.spec.seqLen} tokens on ${model.engine} (${model.backend}), ${plan.hooks.length} hooks`);
            const batchSize = 8;
            const started = Date.now();
            for (let start = 0; start < sequences.length; start += batchSize) {
              const chunk = sequences.slice(start, start + batchSize);
              const captured = await model.run(chunk, { capture: plan.hooks });
              chunk.forEach((seq, b) => {
                writer.append(sequenceBatch(shard.start + start + b, plan.hooks.map((h) => hookBlock(model!.arch, h, captured.get(h)!, b, seq.length))));
              });
              progressLine(label, Math.min(start + batchSize, sequences.length), sequences.length, started);
            }
          },
        );
        ctx.log(`${label}: ${result.hit ? 'cache hit' : 'computed'} activations ${shard.key.slice(0, 12)} (${result.manifest.row_count} rows, ${plan.engine}/${plan.backend})`);
        out.push(shardReceiptEntry(plan, shard, result.hit));
      }
    } finally {
      model?.dispose();
    }
  }
  return out;
}
