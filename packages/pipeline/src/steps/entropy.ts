import { buildRecordBatchFromRows, hashInputs } from '@sinkscope/artifacts';
import { hiddenStateHooks } from '@sinkscope/model-io';
import { readSequenceBatch } from '../artifacts/activations.js';
import { LAYER_ENTROPY } from '../artifacts/custom-kinds.js';
import { entropyAccumulator } from '../measure/measurements.js';
import { artifactMetadata, type PipelineContext } from '../run/context.js';
import { entropyKey } from '../run/keys.js';
import type { StepReceipt } from '../run/receipt.js';
import { progressLine } from '../run/progress.js';
import { activationBatches, activationsRef } from './extract.js';

export function entropyArtifactKey(activations: string, ctx: PipelineContext): string {
  return hashInputs({ entropy: entropyKey(activations, ctx.spec), kind: LAYER_ENTROPY.kind });
}

/**
 * entropy: matrix-based entropy of every hidden state (Queipo-de-Llano et al. 2025), per sequence,
 * summarised per layer with its spread, beside the massive-norm bound and the anisotropy.
 */
export async function entropyStep(ctx: PipelineContext): Promise<StepReceipt['artifacts']> {
  const out: StepReceipt['artifacts'][number][] = [];
  for (const m of ctx.modelIndices) {
    const ref = await activationsRef(ctx, m);
    const name = ref.model.ref.name;
    const { arch } = ref.model;
    const key = entropyArtifactKey(ref.key, ctx);
    const settings = ctx.spec.entropy;
    const meta = artifactMetadata(ctx, {
      kind: LAYER_ENTROPY.kind,
      schemaVersion: LAYER_ENTROPY.version,
      model: name,
      dataset: ref.datasetName,
      engine: ref.engine,
      backend: ref.backend,
      extra: { center: settings.center, normalize_rows: settings.normalizeRows, preprocessing: settings.center || settings.normalizeRows ? 'custom' : 'raw' },
    });
    const result = await ctx.store.ensure(LAYER_ENTROPY.kind, key, LAYER_ENTROPY.schema, meta, async (writer) => {
      const hooks = hiddenStateHooks(arch);
      const acc = entropyAccumulator(hooks.length, settings);
      const batches = activationBatches(ctx, ref, 'entropy');
      const started = Date.now();
      let done = 0;
      for await (const batch of batches) {
        const seq = readSequenceBatch(batch);
        hooks.forEach((hook, i) => {
          const h = seq.hooks.get(hook);
          if (!h) throw new Error(`entropy ${name}: hook ${hook} missing from sequence ${seq.sequence}`);
          acc.add(i, h.data, h.rows, h.width);
        });
        progressLine(`entropy ${name}`, ++done, ref.sequences.length, started);
      }
      const rows = acc.result().map((r, i) => ({
        model: name,
        hidden_index: i,
        entropy: r.shannon.mean,
        entropy_std: r.shannon.std,
        entropy_normalized: r.shannonNormalized.mean,
        entropy_normalized_std: r.shannonNormalized.std,
        renyi2: r.renyi2.mean,
        entropy_bound: r.bound?.mean ?? NaN,
        entropy_bound_alpha0: r.boundAlpha0?.mean ?? NaN,
        anisotropy: r.anisotropy?.includingBos?.mean ?? NaN,
        anisotropy_excluding_bos: r.anisotropy?.excludingBos?.mean ?? NaN,
        seq_len: ctx.spec.seqLen,
      }));
      writer.append(buildRecordBatchFromRows(LAYER_ENTROPY.schema, rows, `layer_entropy of ${name}`));
    });
    ctx.log(`entropy ${name}: ${result.hit ? 'cache hit' : 'computed'} (key ${key.slice(0, 12)})`);
    out.push({ kind: LAYER_ENTROPY.kind, key, model: name, cacheHit: result.hit });
  }
  return out;
}
