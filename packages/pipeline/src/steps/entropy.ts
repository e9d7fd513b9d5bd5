import { ENTROPY_SEQUENCES, buildRecordBatchFromRows } from '@sinkscope/artifacts';
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
 * summarised per layer with its spread, beside the massive-norm bound, Theorem 1 and its corollary
 * (also per sequence, `entropy_sequences`) and the mean pairwise cosine.
 */
export async function entropyStep(ctx: PipelineContext): Promise<StepReceipt['artifacts']> {
  const out: StepReceipt['artifacts'][number][] = [];
  for (const plan of await contextPlans(ctx)) {
    const name = plan.model.ref.name;
    const label = unitLabel(plan);
    const { arch } = plan.model;
    const key = plan.entropyArtifact;
    const settings = ctx.spec.entropy;
    const extraPreprocessing = { center: settings.center, normalize_rows: settings.normalizeRows, preprocessing: settings.center || settings.normalizeRows ? 'custom' : 'raw' };
    const meta = {
      extraPreprocessing,
      metadata: artifactMetadata(ctx, { kind: LAYER_ENTROPY.kind, schemaVersion: LAYER_ENTROPY.version, model: name, dataset: plan.datasetName, engine: plan.engine, backend: plan.backend, extra: extraPreprocessing }),
    };
    const sequencesKey = plan.entropySequencesArtifact;
    const sequencesMeta = artifactMetadata(ctx, { kind: ENTROPY_SEQUENCES.kind, model: name, dataset: plan.datasetName, engine: plan.engine, backend: plan.backend, extra: meta.extraPreprocessing });
    const have = Boolean(await ctx.store.verify(LAYER_ENTROPY.kind, key)) && Boolean(await ctx.store.verify(ENTROPY_SEQUENCES.kind, sequencesKey));
    if (!have) {
      const hooks = hiddenStateHooks(arch);
      const acc = new LayerEntropyAccumulator({ states: hooks.length, center: settings.center, normalize: settings.normalizeRows, renyiAlphas: [...settings.renyiAlphas] });
      const sequenceRows: Record<string, unknown>[] = [];
      const nan = (v: number | null | undefined) => (v === null || v === undefined ? NaN : v);
      const batches = activationBatches(ctx, plan, 'entropy');
      const started = Date.now();
      let done = 0;
      for await (const batch of batches) {
        const seq = readSequenceBatch(batch);
        hooks.forEach((hook, i) => {
          const h = seq.hooks.get(hook);
          if (!h) throw new Error(`entropy ${label}: hook ${hook} missing from sequence ${seq.sequence}`);
          const v = acc.add(i, h.data, h.rows, h.width);
          const t = v.theorem1!;
          sequenceRows.push({
            model: name,
            hidden_index: i,
            sequence: seq.sequence,
            entropy: v.shannon,
            entropy_normalized: v.shannonNormalized,
            rank: t.rank,
            bos_sq_norm: t.bosSqNorm,
            rest_sq_norm: t.restSqNorm,
            alignment: t.alignment,
            c: t.c,
            p1: t.p1,
            dominance: t.dominance,
            sigma1_sq: t.sigma1Sq,
            sigma1_sq_lower: t.sigma1SqLower,
            p1_lower: t.p1Lower,
            dominance_lower: t.dominanceLower,
            entropy_upper: nan(t.entropyUpper),
            entropy_rank_normalized: nan(t.entropyRankNormalized),
            entropy_upper_rank_normalized: nan(t.entropyUpperRankNormalized),
            mean_cosine: nan(v.meanCosineIncludingBos),
          });
        });
        progressLine(`entropy ${label}`, ++done, plan.sequences.length, started);
      }
      const mean = (s: { mean: number } | null | undefined) => s?.mean ?? NaN;
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
        mean_cosine: mean(r.meanCosine?.includingBos),
        mean_cosine_excluding_bos: mean(r.meanCosine?.excludingBos),
        seq_len: ctx.spec.seqLen,
        p1: mean(r.theorem1?.p1),
        p1_lower: mean(r.theorem1?.p1Lower),
        dominance: mean(r.theorem1?.dominance),
        dominance_lower: mean(r.theorem1?.dominanceLower),
        alignment: mean(r.theorem1?.alignment),
        c: mean(r.theorem1?.c),
        sigma1_sq: mean(r.theorem1?.sigma1Sq),
        sigma1_sq_lower: mean(r.theorem1?.sigma1SqLower),
        entropy_upper: mean(r.theorem1?.entropyUpper),
        entropy_rank_normalized: mean(r.theorem1?.entropyRankNormalized),
        entropy_upper_rank_normalized: mean(r.theorem1?.entropyUpperRankNormalized),
        rank: mean(r.theorem1?.rank),
      }));
      await ctx.store.write(LAYER_ENTROPY.kind, key, LAYER_ENTROPY.schema, meta.metadata, (w) => w.append(buildRecordBatchFromRows(LAYER_ENTROPY.schema, rows, `layer_entropy of ${label}`)));
      await ctx.store.write(ENTROPY_SEQUENCES.kind, sequencesKey, ENTROPY_SEQUENCES.schema, sequencesMeta, (w) => w.append(buildRecordBatchFromRows(ENTROPY_SEQUENCES, sequenceRows as never, `entropy_sequences of ${label}`)));
    }
    ctx.log(`entropy ${label}: ${have ? 'cache hit' : 'computed'} (key ${key.slice(0, 12)})`);
    out.push({ kind: LAYER_ENTROPY.kind, key, model: name, ...datasetOf(plan), cacheHit: have });
    out.push({ kind: ENTROPY_SEQUENCES.kind, key: sequencesKey, model: name, ...datasetOf(plan), cacheHit: have });
  }
  return out;
}
