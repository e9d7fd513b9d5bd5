import { loadExtractionModel, resolveEngine, type ExtractionModel, type HookName } from '@sinkscope/model-io';
import type { EvalSet } from '@sinkscope/datasets';
import type { RecordBatch } from 'apache-arrow';
import { ACTIVATIONS_KIND, ACTIVATIONS_SCHEMA_VERSION, activationsSchema, sequenceBatch, type HookBlock } from '../artifacts/activations.js';
import { sequencePattern, sequenceRows, sequenceHeads } from '../measure/slices.js';
import { artifactMetadata, datasetFor, resolveModel, type PipelineContext, type ResolvedModel } from '../run/context.js';
import { activationsKey, combinedActivationsKey, extractHooks } from '../run/keys.js';
import type { StepReceipt } from '../run/receipt.js';
import { progressLine } from '../run/progress.js';
import { shardRanges, type ShardRange } from '../run/shards.js';

/** One extract shard with the key of its activations artifact. */
export interface ActivationShard extends ShardRange {
  readonly key: string;
}

/** Where one model's activations live, and what produced them (computed without running the model). */
export interface ActivationsRef {
  readonly model: ResolvedModel;
  /** The key of all shards together (metrics and entropy keys build on it). */
  readonly key: string;
  /** One activations artifact per shard, in sequence order. */
  readonly shards: readonly ActivationShard[];
  readonly hooks: HookName[];
  readonly engine: 'onnx' | 'tfjs';
  readonly backend: string;
  readonly sequences: number[][];
  readonly firstIsBos: boolean;
  readonly datasetName: string;
}

export async function activationsRef(ctx: PipelineContext, modelIndex: number): Promise<ActivationsRef> {
  const model = await resolveModel(ctx, ctx.spec.models[modelIndex]);
  return activationsRefFor(ctx, model, await datasetFor(ctx, model));
}

/** The same, for a model and dataset already resolved (no checkpoint hashing or dataset building). */
export async function activationsRefFor(ctx: PipelineContext, model: ResolvedModel, dataset: EvalSet): Promise<ActivationsRef> {
  let hooks: HookName[];
  try {
    hooks = extractHooks(ctx.spec, model.arch);
  } catch (err) {
    throw new Error(`${ctx.specFile}: model '${model.ref.name}': ${(err as Error).message}`);
  }
  const { engine, backend } = await resolveEngine(ctx.spec.engine);
  const ranges = shardRanges(dataset.sequences.length, ctx.spec.shardSize);
  const base = { modelHash: model.contentHash, sequencesHash: dataset.sequencesHash, hooks, engine, bosPolicy: ctx.spec.bosPolicy };
  const shards = ranges.map((r) => ({ ...r, key: activationsKey(ranges.length === 1 ? base : { ...base, shard: r }) }));
  return { model, key: combinedActivationsKey(shards.map((s) => s.key)), shards, hooks, engine, backend, sequences: dataset.sequences, firstIsBos: dataset.firstIsBos, datasetName: dataset.name };
}

/** One hook of one sequence as rows of the activations artifact. */
function hookBlock(hook: HookName, t: { shape: readonly number[]; data: Float32Array }, b: number, len: number): HookBlock {
  if (hook.endsWith('hook_pattern')) {
    const heads = t.shape[1];
    return { hook, heads, rows: heads * len, width: len, data: sequencePattern(t, b, len) };
  }
  if (t.shape.length === 4) {
    const heads = t.shape[2];
    const hd = t.shape[3];
    return { hook, heads, rows: heads * len, width: hd, data: sequenceHeads(t, b, len) };
  }
  return { hook, heads: 1, rows: len, width: t.shape[t.shape.length - 1], data: sequenceRows(t, b, len) };
}

/** A shard's line in the extract step's receipt (the shard index only where the model has several). */
export function shardReceiptEntry(ref: ActivationsRef, shard: ActivationShard, cacheHit: boolean): StepReceipt['artifacts'][number] {
  return { kind: ACTIVATIONS_KIND, key: shard.key, model: ref.model.ref.name, cacheHit, ...(ref.shards.length > 1 ? { shard: shard.index } : {}) };
}

/** Every sequence's record batch of a model's activations, shard after shard (global sequence order). */
export async function* activationBatches(ctx: PipelineContext, ref: ActivationsRef, step: string): AsyncGenerator<RecordBatch> {
  for (const shard of ref.shards) {
    const batches = await ctx.store.readBatches(ACTIVATIONS_KIND, shard.key);
    if (!batches) {
      const which = ref.shards.length > 1 ? ` of shard ${shard.index} (sequences ${shard.start}-${shard.end - 1})` : '';
      throw new Error(`${step} ${ref.model.ref.name}: activations ${shard.key.slice(0, 12)}${which} are missing (run the extract step first)`);
    }
    yield* batches;
  }
}

/**
 * extract: the forward pass over the dataset, every needed hook of every sequence streamed into one
 * `activations` artifact per model and shard (one record batch per sequence). `ctx.shards` limits the
 * work to some shards (a Slurm array task computes one).
 */
export async function extractStep(ctx: PipelineContext): Promise<StepReceipt['artifacts']> {
  const out: StepReceipt['artifacts'][number][] = [];
  for (const m of ctx.modelIndices) {
    const ref = await activationsRef(ctx, m);
    const name = ref.model.ref.name;
    const selected = ctx.shards ? ref.shards.filter((s) => ctx.shards!.includes(s.index)) : ref.shards;
    if (ctx.shards) {
      const unknown = ctx.shards.filter((i) => !ref.shards.some((s) => s.index === i));
      if (unknown.length) throw new Error(`extract ${name}: no shard ${unknown.join(', ')} (the dataset has ${ref.shards.length} shard${ref.shards.length === 1 ? '' : 's'})`);
    }
    let model: ExtractionModel | undefined;
    try {
      for (const shard of selected) {
        const label = ref.shards.length > 1 ? `extract ${name} shard ${shard.index}` : `extract ${name}`;
        const sequences = ref.sequences.slice(shard.start, shard.end);
        const result = await ctx.store.ensure(
          ACTIVATIONS_KIND,
          shard.key,
          activationsSchema(),
          artifactMetadata(ctx, {
            kind: ACTIVATIONS_KIND,
            schemaVersion: ACTIVATIONS_SCHEMA_VERSION,
            model: name,
            dataset: ref.datasetName,
            engine: ref.engine,
            backend: ref.backend,
            extra: { hooks: ref.hooks.join(','), first_token_is_bos: ref.firstIsBos, ...(ref.shards.length > 1 ? { shard: shard.index, shard_start: shard.start, shard_end: shard.end } : {}) },
          }),
          async (writer) => {
            model ??= await loadExtractionModel(ref.model.dir, { engine: ref.engine });
            ctx.log(`${label}: ${sequences.length} sequences x ${ctx.spec.seqLen} tokens on ${model.engine} (${model.backend}), ${ref.hooks.length} hooks`);
            const batchSize = 8;
            const started = Date.now();
            for (let start = 0; start < sequences.length; start += batchSize) {
              const chunk = sequences.slice(start, start + batchSize);
              const captured = await model.run(chunk, { capture: ref.hooks });
              chunk.forEach((seq, b) => {
                writer.append(sequenceBatch(shard.start + start + b, ref.hooks.map((h) => hookBlock(h, captured.get(h)!, b, seq.length))));
              });
              progressLine(label, Math.min(start + batchSize, sequences.length), sequences.length, started);
            }
          },
        );
        ctx.log(`${label}: ${result.hit ? 'cache hit' : 'computed'} activations ${shard.key.slice(0, 12)} (${result.manifest.row_count} rows, ${ref.engine}/${ref.backend})`);
        out.push(shardReceiptEntry(ref, shard, result.hit));
      }
    } finally {
      model?.dispose();
    }
  }
  return out;
}
