import { LOGIT_LENS, buildRecordBatchFromRows } from '@sinkscope/artifacts';
import { LensHead, hiddenStateHooks } from '@sinkscope/model-io';
import { readSequenceBatch } from '../kinds/activations.js';
import { datasetOf, modelPlans, unitLabel, type ModelPlan } from '../plan/model-plan.js';
import { artifactMetadata, type PipelineContext } from '../run/context.js';
import { progressLine } from '../run/progress.js';
import type { StepReceipt } from '../run/receipt.js';
import { activationBatches } from './activation-batches.js';
import { depthTaskArtifacts } from './lens-tasks.js';

/**
 * LogitLens loss per hidden state on the pipeline's dataset. The hidden states come from the
 * activations the extract step stored (one forward pass served every layer; reading them back is a
 * streamed pass, cheaper than a second forward); each sequence's L + 1 states are read out in one
 * batched product through the model's own final norm and unembedding (`LensHead`).
 */
async function logitLensRows(ctx: PipelineContext, plan: ModelPlan, lens: LensHead): Promise<Record<string, unknown>[]> {
  const name = plan.model.ref.name;
  const hooks = hiddenStateHooks(plan.model.arch);
  const L = plan.model.arch.nLayers;
  const nll = new Float64Array(L + 1);
  const top1 = new Float64Array(L + 1);
  let tokens = 0;
  let done = 0;
  const started = Date.now();
  for await (const batch of activationBatches(ctx, plan, 'lens')) {
    const seq = readSequenceBatch(batch);
    const ids = plan.sequences[seq.sequence];
    const xs = hooks.map((hook) => {
      const h = seq.hooks.get(hook);
      if (!h) throw new Error(`lens ${name}: hook ${hook} missing from sequence ${seq.sequence}`);
      return h.data;
    });
    lens.readout(xs, ids).forEach((r, i) => {
      for (let t = 0; t < r.targetLogProbs.length; t++) {
        nll[i] -= r.targetLogProbs[t];
        top1[i] += r.top1[t];
      }
    });
    tokens += ids.length - 1;
    progressLine(`lens ${unitLabel(plan)}: LogitLens`, ++done, plan.sequences.length, started);
  }
  return Array.from({ length: L + 1 }, (_, i) => ({
    model: name,
    hidden_index: i,
    relative_depth: i / L,
    loss: nll[i] / tokens,
    perplexity: Math.exp(nll[i] / tokens),
    top1_accuracy: top1[i] / tokens,
    tokens,
  }));
}

/**
 * lens: LogitLens, multiple choice and probes per hidden state (Queipo-de-Llano et al. 2025, Fig. 7).
 * The LogitLens runs on each of the spec's datasets; the task sets belong to the model, so they run once.
 */
export async function lensStep(ctx: PipelineContext): Promise<StepReceipt['artifacts']> {
  const out: StepReceipt['artifacts'][number][] = [];
  for (const m of ctx.modelIndices) {
    const plans = await modelPlans(ctx, m);
    const name = plans[0].model.ref.name;
    let lens: LensHead | undefined;
    const head = async () => (lens ??= await LensHead.load(plans[0].model.dir));
    try {
      for (const plan of plans) {
        const key = plan.lensArtifacts.logitLens;
        if (!key) continue;
        const unit = unitLabel(plan);
        const meta = artifactMetadata(ctx, { kind: LOGIT_LENS.kind, model: name, dataset: plan.datasetName, engine: 'tfjs', backend: (await head()).backend, extra: { readout: 'final norm + unembedding (+bias); the last hidden state is not normalised again' } });
        const result = await ctx.store.ensure(LOGIT_LENS.kind, key, LOGIT_LENS.schema, meta, async (w) => {
          w.append(buildRecordBatchFromRows(LOGIT_LENS, (await logitLensRows(ctx, plan, await head())) as never, `logit_lens of ${unit}`));
        });
        ctx.log(`lens ${unit}: LogitLens ${result.hit ? 'cache hit' : 'computed'} (key ${key.slice(0, 12)})`);
        out.push({ kind: LOGIT_LENS.kind, key, model: name, cacheHit: result.hit, ...datasetOf(plan) });
      }
      out.push(...(await depthTaskArtifacts(ctx, plans[0], head)));
    } finally {
      lens?.dispose();
    }
  }
  return out;
}
