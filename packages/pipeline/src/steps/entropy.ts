import { buildRecordBatchFromRows } from '@sinkscope/artifacts';
import { LayerEntropyAccumulator } from '@sinkscope/entropy';
import { hiddenStateHooks } from '@sinkscope/model-io';
import { readSequenceBatch } from '../kinds/activations.js';
import { LAYER_ENTROPY } from '../kinds/step-kinds.js';
import { contextPlans, datasetOf, unitLabel } from '../plan/model-plan.js';
import { artifactMetadata, type PipelineContext } from '../run/context.js';
import { progressLine } from '../run/progress.js';
import type { StepReceipt } from '../run/receipt.js';
import { activationBatches } from './activation-batches.js';

/**
 * entropy: matrix-based entropy of every hidden state (Queipo-de-Llano et al. 2025), per sequence,
 * summarised per layer with its spread, beside the massive-norm bound and the anisotropy.
 */
export async function entropyStep(ctx: PipelineContext): Promise<StepReceipt['artifacts']> {
  const out: StepReceipt['artifacts'][number][] = [];
  for (const plan of await contextPlans(ctx)) {
    const name = plan.model.ref.name;
    const label = unitLabel(plan);
    const { arch } = plan.model;
    const key = plan.entropyArtifact;
    const settings = ctx.spec.entropy;
    const meta = artifactMetadata(ctx, {
      kind: LAYER_ENTROPY.kind,
      schemaVersion: LAYER_ENTROPY.version,
      model: name,
      dataset: plan.datasetName,
      engine: plan.engine,
      backend: plan.backend,
      extra: { center: settings.center, normalize_rows: settings.normalizeRows, preprocessing: settings.center || settings.normalizeRows ? 'custom' : 'raw' },
    });
    const result = await ctx.store.ensure(LAYER_ENTROPY.kind, key, LAYER_ENTROPY.schema, meta, async (writer) => {
      const hooks = hiddenStateHooks(arch);
      const acc = new LayerEntropyAccumulator({ states: hooks.length, center: settings.center, normalize: settings.normalizeRows, renyiAlphas: [...settings.renyiAlphas] });
      const batches = activationBatches(ctx, plan, 'entropy');
      const started = Date.now();
      let done = 0;
      for await (const batch of batches) {
        const seq = readSequenceBatch(batch);
        hooks.forEach((hook, i) => {
          const h = seq.hooks.get(hook);
          if (!h) throw new Error(`entropy ${label}: hook ${hook} missing from sequence ${seq.sequence}`);
          acc.add(i, h.data, h.rows, h.width);
        });
        progressLine(`entropy ${label}`, ++done, plan.sequences.length, started);
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
    ctx.log(`entropy ${label}: ${result.hit ? 'cache hit' : 'computed'} (key ${key.slice(0, 12)})`);
    out.push({ kind: LAYER_ENTROPY.kind, key, model: name, ...datasetOf(plan), cacheHit: result.hit });
  }
  return out;
}
