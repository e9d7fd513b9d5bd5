import { loadExtractionModel, resolveEngine, type HookName } from '@sinkscope/model-io';
import { ACTIVATIONS_KIND, ACTIVATIONS_SCHEMA_VERSION, activationsSchema, sequenceBatch, type HookBlock } from '../artifacts/activations.js';
import { sequencePattern, sequenceRows, sequenceHeads } from '../measure/slices.js';
import { artifactMetadata, datasetFor, resolveModel, type PipelineContext, type ResolvedModel } from '../run/context.js';
import { activationsKey, extractHooks } from '../run/keys.js';
import type { StepReceipt } from '../run/receipt.js';
import { progressLine } from '../run/progress.js';

/** Where one model's activations artifact lives, and what produced it (computed without running the model). */
export interface ActivationsRef {
  readonly model: ResolvedModel;
  readonly key: string;
  readonly hooks: HookName[];
  readonly engine: 'onnx' | 'tfjs';
  readonly backend: string;
  readonly sequences: number[][];
  readonly firstIsBos: boolean;
  readonly datasetName: string;
}

export async function activationsRef(ctx: PipelineContext, modelIndex: number): Promise<ActivationsRef> {
  const model = await resolveModel(ctx, ctx.spec.models[modelIndex]);
  const dataset = await datasetFor(ctx, model);
  const hooks = extractHooks(ctx.spec, model.arch);
  const { engine, backend } = await resolveEngine(ctx.spec.engine);
  const key = activationsKey({ modelHash: model.contentHash, sequencesHash: dataset.sequencesHash, hooks, engine, bosPolicy: ctx.spec.bosPolicy });
  return { model, key, hooks, engine, backend, sequences: dataset.sequences, firstIsBos: dataset.firstIsBos, datasetName: dataset.name };
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

/**
 * extract: the forward pass over the dataset, every needed hook of every sequence streamed into one
 * `activations` artifact per model (one record batch per sequence).
 */
export async function extractStep(ctx: PipelineContext): Promise<StepReceipt['artifacts']> {
  const out: StepReceipt['artifacts'][number][] = [];
  for (let m = 0; m < ctx.spec.models.length; m++) {
    const ref = await activationsRef(ctx, m);
    const name = ref.model.ref.name;
    const result = await ctx.store.ensure(
      ACTIVATIONS_KIND,
      ref.key,
      activationsSchema(),
      artifactMetadata(ctx, { kind: ACTIVATIONS_KIND, schemaVersion: ACTIVATIONS_SCHEMA_VERSION, model: name, dataset: ref.datasetName, engine: ref.engine, backend: ref.backend, extra: { hooks: ref.hooks.join(','), first_token_is_bos: ref.firstIsBos } }),
      async (writer) => {
        const model = await loadExtractionModel(ref.model.dir, { engine: ref.engine });
        ctx.log(`extract ${name}: ${ref.sequences.length} sequences x ${ctx.spec.seqLen} tokens on ${model.engine} (${model.backend}), ${ref.hooks.length} hooks`);
        try {
          const batchSize = 8;
          const started = Date.now();
          for (let start = 0; start < ref.sequences.length; start += batchSize) {
            const chunk = ref.sequences.slice(start, start + batchSize);
            const captured = await model.run(chunk, { capture: ref.hooks });
            chunk.forEach((seq, b) => {
              writer.append(sequenceBatch(start + b, ref.hooks.map((h) => hookBlock(h, captured.get(h)!, b, seq.length))));
            });
            progressLine(`extract ${name}`, Math.min(start + batchSize, ref.sequences.length), ref.sequences.length, started);
          }
        } finally {
          model.dispose();
        }
      },
    );
    ctx.log(`extract ${name}: ${result.hit ? 'cache hit' : 'computed'} activations ${ref.key.slice(0, 12)} (${result.manifest.row_count} rows, ${ref.engine}/${ref.backend})`);
    out.push({ kind: ACTIVATIONS_KIND, key: ref.key, model: name, cacheHit: result.hit });
  }
  return out;
}
