import { MULTIPLE_CHOICE, PROBES, buildRecordBatchFromRows } from '@sinkscope/artifacts';
import { choiceCorrect, probeAccuracy } from '@sinkscope/metrics';
import { hiddenStateHooks, loadExtractionModel, sequenceRows, type ExtractionModel, type LensHead } from '@sinkscope/model-io';
import type { ModelPlan } from '../plan/model-plan.js';
import { artifactMetadata, type PipelineContext } from '../run/context.js';
import { progressLine } from '../run/progress.js';
import type { StepReceipt } from '../run/receipt.js';

const BATCH = 32;

/**
 * Every hidden state of each sequence, [T, d] per state, from one forward pass per batch. Batches
 * hold sequences of one length (task items are ragged): no padding, and few distinct shapes for the
 * engine to prepare.
 */
async function* hiddenStates(model: ExtractionModel, sequences: readonly (readonly number[])[], label: string): AsyncGenerator<{ index: number; xs: Float32Array[] }> {
  const hooks = hiddenStateHooks(model.arch);
  const started = Date.now();
  const byLength = new Map<number, number[]>();
  sequences.forEach((s, i) => byLength.set(s.length, [...(byLength.get(s.length) ?? []), i]));
  const batches = [...byLength.values()].flatMap((group) => Array.from({ length: Math.ceil(group.length / BATCH) }, (_, k) => group.slice(k * BATCH, (k + 1) * BATCH)));
  let done = 0;
  for (const batch of batches) {
    const out = await model.run(batch.map((i) => sequences[i]), { capture: hooks });
    for (const [b, i] of batch.entries()) yield { index: i, xs: hooks.map((h) => sequenceRows(out.get(h)!, b, sequences[i].length)) };
    done += batch.length;
    progressLine(label, done, sequences.length, started);
  }
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
        const sequences = mc.items.flatMap((item) => item.choices.map((c) => [...item.contextIds, ...c.ids]));
        const owner = mc.items.flatMap((item, i) => item.choices.map((_, j) => [i, j] as const));
        const logProb = mc.items.map((item) => item.choices.map(() => new Float64Array(L + 1)));
        for await (const { index, xs } of hiddenStates(await forward(), sequences, `lens ${name}: multiple choice ${mc.name}`)) {
          const [i, j] = owner[index];
          const from = mc.items[i].contextIds.length - 1; // the position predicting the first continuation token
          lens.readout(xs, sequences[index]).forEach((readout, layer) => {
            for (let t = from; t < readout.targetLogProbs.length; t++) logProb[i][j][layer] += readout.targetLogProbs[t];
          });
        }
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
        const rows = (['mean', 'last'] as const).flatMap((pooling) =>
          pooled[pooling].map((features, layer) => {
            const p = probeAccuracy(features, n, d, labels, settings);
            progressLine(`lens ${name}: probing (${pooling})`, layer + 1, L + 1, Date.now());
            return { model: name, task: probes.name, pooling, hidden_index: layer, relative_depth: layer / L, accuracy: p.accuracy, accuracy_std: p.accuracyStd, majority: p.majority, folds: p.folds, examples: n, classes: probes.labels.length };
          }),
        );
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
