import { MULTIPLE_CHOICE, PROBES, buildRecordBatchFromRows } from '@sinkscope/artifacts';
import { choiceCorrect, probeAccuracy } from '@sinkscope/metrics';
import { hiddenStateHooks, loadExtractionModel, sequenceRows, sinkRows, type ExtractionModel, type LensHead } from '@sinkscope/model-io';
import type { ModelPlan } from '../plan/model-plan.js';
import { artifactMetadata, type PipelineContext } from '../run/context.js';
import { progressLine } from '../run/progress.js';
import type { StepReceipt } from '../run/receipt.js';

const BATCH = 32;

/**
 * Every hidden state of each sequence, [T, d] per state, from one forward pass per batch. Task items
 * are ragged: batches take the sequences in order of length, right-padded by the engine (padded keys
 * masked), so padding is small and there are few batches; one batch per distinct length made the
 * onnx engine run hundreds of tiny batches.
 */
async function* hiddenStates(model: ExtractionModel, sequences: readonly (readonly number[])[], label: string): AsyncGenerator<{ index: number; xs: Float32Array[] }> {
  const hooks = hiddenStateHooks(model.arch);
  const started = Date.now();
  const order = sequences.map((_, i) => i).sort((a, b) => sequences[b].length - sequences[a].length || a - b);
  const batches = Array.from({ length: Math.ceil(order.length / BATCH) }, (_, k) => order.slice(k * BATCH, (k + 1) * BATCH));
  let done = 0;
  for (const batch of batches) {
    const out = await model.run(batch.map((i) => sequences[i]), { capture: hooks });
    // the token rows only: a sink-token model's states hold the sink token's row first
    const sink = sinkRows(model.arch);
    const d = model.arch.dModel;
    for (const [b, i] of batch.entries()) yield { index: i, xs: hooks.map((h) => sequenceRows(out.get(h)!, b, sequences[i].length + sink).subarray(sink * d)) };
    done += batch.length;
    progressLine(label, done, sequences.length, started);
  }
}

/** One multiple-choice item as the lens step scores it: token ids of the context and of each choice. */
export interface ChoiceItemIds {
  readonly contextIds: readonly number[];
  readonly choices: readonly { readonly ids: readonly number[] }[];
}

/**
 * ln p(choice | context) at every hidden state through the LogitLens: [item][choice][hidden state],
 * the sum of the choice tokens' log-probs (lm-eval's score). The last token of a sequence is only a
 * target: no readout uses its hidden state, and a causal model's states at earlier positions do not
 * see it, so sequences equal but for their last token (every one-token choice of an item, the usual
 * case) share one forward pass and are read out with their own ids.
 */
export async function multipleChoiceLogProbs(model: ExtractionModel, lens: LensHead, items: readonly ChoiceItemIds[], label: string): Promise<Float64Array[][]> {
  const L = model.arch.nLayers;
  const sequences = items.flatMap((item) => item.choices.map((c) => [...item.contextIds, ...c.ids]));
  const owner = items.flatMap((item, i) => item.choices.map((_, j) => [i, j] as const));
  const logProb = items.map((item) => item.choices.map(() => new Float64Array(L + 1)));
  const groups = new Map<string, number[]>();
  sequences.forEach((ids, index) => {
    const prefix = ids.slice(0, -1).join(',');
    groups.set(prefix, [...(groups.get(prefix) ?? []), index]);
  });
  const members = [...groups.values()];
  for await (const { index, xs } of hiddenStates(model, members.map((m) => sequences[m[0]]), label)) {
    for (const member of members[index]) {
      const [i, j] = owner[member];
      const from = items[i].contextIds.length - 1; // the position predicting the first continuation token
      lens.readout(xs, sequences[member]).forEach((readout, layer) => {
        for (let t = from; t < readout.targetLogProbs.length; t++) logProb[i][j][layer] += readout.targetLogProbs[t];
      });
    }
  }
  return logProb;
}

/**
 * Multiple choice through the LogitLens (lm-eval's acc and acc_norm at every depth) and linear
 * probes of every hidden state (mean-pooled over the text tokens, and the last token), each on its
 * own dataset with its own forward passes.
 */
export async function depthTaskArtifacts(ctx: PipelineContext, plan: ModelPlan, head: () => Promise<LensHead>): Promise<StepReceipt['artifacts']> {
  const out: StepReceipt['artifacts'][number][] = [];
  const name = plan.model.ref.name;
  const L = plan.model.arch.nLayers;
  const d = plan.model.arch.dModel;
  const keys = plan.lensArtifacts;
  let model: ExtractionModel | undefined;
  const forward = async () => (model ??= await loadExtractionModel(plan.model.dir, { engine: plan.engine }));
  try {
    const mc = plan.tasks.multipleChoice;
    if (keys.multipleChoice && mc) {
      const meta = artifactMetadata(ctx, { kind: MULTIPLE_CHOICE.kind, model: name, dataset: mc.name, engine: plan.engine, backend: plan.backend, extra: { scoring: 'lm-eval: sum of continuation log-probs; acc_norm divides by the choice length in characters' } });
      const r = await ctx.store.ensure(MULTIPLE_CHOICE.kind, keys.multipleChoice, MULTIPLE_CHOICE.schema, meta, async (w) => {
        const lens = await head();
        const logProb = await multipleChoiceLogProbs(await forward(), lens, mc.items, `lens ${name}: multiple choice ${mc.name}`);
        const rows = Array.from({ length: L + 1 }, (_, layer) => {
          let acc = 0;
          let accNorm = 0;
          let chance = 0;
          mc.items.forEach((item, i) => {
            const c = choiceCorrect(item.choices.map((ch, j) => ({ logProb: logProb[i][j][layer], length: ch.chars })), item.gold);
            acc += Number(c.acc);
            accNorm += Number(c.accNorm);
            chance += 1 / item.choices.length;
          });
          const n = mc.items.length;
          return { model: name, task: mc.name, hidden_index: layer, relative_depth: layer / L, accuracy: acc / n, accuracy_norm: accNorm / n, chance: chance / n, items: n };
        });
        w.append(buildRecordBatchFromRows(MULTIPLE_CHOICE, rows as never, `multiple_choice of ${name}`));
      });
      ctx.log(`lens ${name}: multiple choice ${mc.name} ${r.hit ? 'cache hit' : 'computed'} (key ${keys.multipleChoice.slice(0, 12)})`);
      out.push({ kind: MULTIPLE_CHOICE.kind, key: keys.multipleChoice, model: name, cacheHit: r.hit });
    }
    const probes = plan.tasks.probes;
    const settings = ctx.spec.analyses.probes;
    if (keys.probes && probes && settings) {
      const meta = artifactMetadata(ctx, { kind: PROBES.kind, model: name, dataset: probes.name, engine: plan.engine, backend: plan.backend, extra: { solver: 'ml-logistic-regression (one-vs-rest, standardised features + intercept column)', folds: settings.folds, fold_seed: settings.seed, steps: settings.steps, learning_rate: settings.learningRate, labels: JSON.stringify(probes.labels) } });
      const r = await ctx.store.ensure(PROBES.kind, keys.probes, PROBES.schema, meta, async (w) => {
        const n = probes.examples.length;
        const pooled = { mean: Array.from({ length: L + 1 }, () => new Float64Array(n * d)), last: Array.from({ length: L + 1 }, () => new Float64Array(n * d)) };
        const skip = probes.prefixIds.length; // BOS is left out of the mean: its massive norm would dominate it
        for await (const { index, xs } of hiddenStates(await forward(), probes.examples.map((e) => e.ids), `lens ${name}: probes ${probes.name}`)) {
          const T = probes.examples[index].ids.length;
          xs.forEach((x, layer) => {
            const mean = pooled.mean[layer];
            const last = pooled.last[layer];
            for (let t = skip; t < T; t++) for (let c = 0; c < d; c++) mean[index * d + c] += x[t * d + c] / (T - skip);
            for (let c = 0; c < d; c++) last[index * d + c] = x[(T - 1) * d + c];
          });
        }
        const labels = probes.examples.map((e) => e.label);
        const rows = (['mean', 'last'] as const).flatMap((pooling) => {
          const started = Date.now();
          return pooled[pooling].map((features, layer) => {
            const p = probeAccuracy(features, n, d, labels, settings);
            progressLine(`lens ${name}: probing (${pooling})`, layer + 1, L + 1, started);
            return { model: name, task: probes.name, pooling, hidden_index: layer, relative_depth: layer / L, accuracy: p.accuracy, accuracy_std: p.accuracyStd, majority: p.majority, folds: p.folds, examples: n, classes: probes.labels.length };
          });
        });
        w.append(buildRecordBatchFromRows(PROBES, rows as never, `probes of ${name}`));
      });
      ctx.log(`lens ${name}: probes ${probes.name} ${r.hit ? 'cache hit' : 'computed'} (key ${keys.probes.slice(0, 12)})`);
      out.push({ kind: PROBES.kind, key: keys.probes, model: name, cacheHit: r.hit });
    }
  } finally {
    model?.dispose();
  }
  return out;
}
