import { HEADS, MASSIVE, METRICS_SEQUENCES, NORMS, PATTERN, QK, SINK_SWEEP, buildRecordBatchFromRows, type BatchTarget } from '@sinkscope/artifacts';
import { HeadNormAccumulator, MassiveActivationAccumulator, NormAccumulator, SinkMeasurements, emergenceLayer, largestJump, massiveActivations, qkDecomposition, type TopActivation } from '@sinkscope/metrics';
import { attentionLayers, hiddenStateHooks, patternRowsSumToOne } from '@sinkscope/model-io';
import { readSequenceBatch } from '../kinds/activations.js';
import { LAYER_METRICS, METRICS_KINDS, SINK_K, type MetricsKind } from '../kinds/step-kinds.js';
import { contextPlans, datasetOf, unitLabel, type ModelPlan } from '../plan/model-plan.js';
import { artifactMetadata, type PipelineContext } from '../run/context.js';
import { patternExample, preFinalNormHook, qkLayers } from '../run/keys.js';
import { progressLine } from '../run/progress.js';
import type { StepReceipt } from '../run/receipt.js';
import { activationBatches } from './activation-batches.js';
import { qkGridHeads } from './qk-grid.js';

interface Tables {
  rows: Record<MetricsKind, Record<string, unknown>[]>;
  extra: Partial<Record<MetricsKind, Record<string, string | number>>>;
}

/**
 * Keep the k largest |activations| over sequences, one entry per (token, dim) (the largest seen), so
 * the top ranks name distinct positions and dimensions as in Sun et al. 2024 rather than one cell
 * repeated across sequences.
 */
function mergeTop<T extends TopActivation>(current: readonly T[], incoming: readonly T[], k: number): T[] {
  const best = new Map<string, T>();
  for (const t of [...current, ...incoming]) {
    const id = `${t.token}/${t.dim}`;
    const seen = best.get(id);
    if (!seen || t.magnitude > seen.magnitude) best.set(id, t);
  }
  return [...best.values()].sort((a, b) => b.magnitude - a.magnitude).slice(0, k);
}

/** Stream one model's activations through every sink / norm / massive-activation measurement. */
async function computeMetrics(ctx: PipelineContext, plan: ModelPlan): Promise<Tables> {
  const { arch } = plan.model;
  const s = ctx.spec;
  const name = plan.model.ref.name;
  const label = unitLabel(plan);
  // blocks without attention (ArchSpec.attentionFreeLayers) have no pattern, keys or values: the
  // per-layer sink measurements and attention scores cover the blocks with attention, reported under
  // their block index (NaN for the others)
  const layers = attentionLayers(arch);
  const attentionIndex = (block: number) => layers.indexOf(block); // -1: no attention (or the embedding)
  const sinks = new SinkMeasurements(layers.length, arch.nHeads, {
    eps: s.metrics.eps,
    epsSweep: s.metrics.epsSweep,
    ks: s.metrics.ks.filter((k) => k <= s.seqLen),
    seqLenSweep: s.metrics.seqLenSweep.filter((t) => t <= s.seqLen),
    massiveTopK: s.metrics.massiveTopK,
    scoreNormalization: s.metrics.scoreNormalization,
    // a slot's, a raw sigmoid's or a prefix-LM's rows need not sum to 1: alpha is the raw weight on the key
    ...(patternRowsSumToOne(arch) ? {} : { rowSumTolerance: Infinity }),
  }, arch.nLayers + 1);
  const keyNorms = new HeadNormAccumulator({ layers: layers.length, heads: arch.nKvHeads });
  const valueNorms = new HeadNormAccumulator({ layers: layers.length, heads: arch.nKvHeads });
  const hiddenHooks = hiddenStateHooks(arch);
  // the last block's output before the final norm: Gu et al. plot the last hidden state pre-norm, and
  // the massive-activation test reads residual states only
  const preNormHook = preFinalNormHook(arch);
  const preNorms = new NormAccumulator({ states: 1 });
  const preMassive = new MassiveActivationAccumulator({ states: 1, topK: s.metrics.massiveTopK });
  const exampleQk = new Map<number, { q: Float32Array; k: Float32Array }>();
  let exampleRows = 0; // the example sequence's rows inside the blocks (tokens, + a sink token's)
  // top-k |activation| per hidden state over all sequences, and the mean median |a|
  const massiveTop: { top: (TopActivation & { sequence: number })[]; medianSum: number }[] = hiddenHooks.map(() => ({ top: [], medianSum: 0 }));
  const ex = patternExample(s, arch);
  const patternRows: Record<string, unknown>[] = [];
  const qkRows: Record<string, unknown>[] = [];
  const sequenceRows: Record<string, unknown>[] = [];
  const batches = activationBatches(ctx, plan, 'metrics');
  const started = Date.now();
  let done = 0;
  for await (const batch of batches) {
    const seq = readSequenceBatch(batch);
    const get = (hook: string) => {
      const h = seq.hooks.get(hook);
      if (!h) throw new Error(`metrics ${name}: hook ${hook} missing from sequence ${seq.sequence} of activations ${plan.activationsKey.slice(0, 12)}`);
      return h;
    };
    const T = get(hiddenHooks[0]).rows;
    const patterns = layers.map((l) => get(`blocks.${l}.attn.hook_pattern`).data);
    const perSequence = sinks.addPatterns(patterns, T);
    hiddenHooks.forEach((hook, i) => {
      const x = get(hook).data;
      const norms = sinks.addHidden(i, x, T, arch.dModel);
      const j = attentionIndex(i - 1);
      const a = j < 0 ? undefined : perSequence.attention[j];
      sequenceRows.push({
        model: name,
        hidden_index: i,
        sequence: seq.sequence,
        first_token_norm: norms.firstTokenNorm,
        other_tokens_mean_norm: norms.otherTokensMeanNorm,
        sink_rate: j < 0 ? NaN : perSequence.sinkRate[j],
        mixing_score: a?.mixing ?? NaN,
        identity_score: a?.identity ?? NaN,
        prev_token_score: a?.prevToken ?? NaN,
        bos_score: a?.bos ?? NaN,
      });
      const m = massiveActivations(x, T, arch.dModel, { topK: s.metrics.massiveTopK });
      const slot = massiveTop[i];
      slot.medianSum += m.medianMagnitude;
      slot.top = mergeTop(slot.top, m.top.map((t) => ({ ...t, sequence: seq.sequence })), s.metrics.massiveTopK);
    });
    const pre = get(preNormHook).data;
    preNorms.add(0, pre, T, arch.dModel);
    preMassive.add(0, pre, T, arch.dModel);
    layers.forEach((l, j) => {
      keyNorms.add(j, get(`blocks.${l}.attn.hook_k`).data, T, arch.headDim);
      valueNorms.add(j, get(`blocks.${l}.attn.hook_v`).data, T, arch.headDim);
    });
    if (seq.sequence === ex.sequence) {
      const p = patterns[layers.indexOf(ex.layer)];
      for (let q = 0; q < T; q++)
        for (let k = 0; k <= q; k++) patternRows.push({ model: name, layer: ex.layer, head: ex.head, sequence: ex.sequence, query: q, key: k, weight: p[(ex.head * T + q) * T + k] });
      exampleRows = T;
      for (const l of qkLayers(s, arch)) exampleQk.set(l, { q: Float32Array.from(get(`blocks.${l}.attn.hook_q`).data), k: Float32Array.from(get(`blocks.${l}.attn.hook_k`).data) });
    }
    progressLine(`metrics ${label}`, ++done, plan.sequences.length, started);
  }
  if (done !== plan.sequences.length) throw new Error(`metrics ${label}: activations hold ${done} sequences, expected ${plan.sequences.length}`);
  if (patternRows.length === 0) throw new Error(`patternExample.sequence ${ex.sequence} is outside the dataset (${done} sequences)`);

  const sink = sinks.sinkResult();
  const norms = sinks.normResult();
  const massive = sinks.massiveResult();
  const [preNorm] = preNorms.result();
  const [preTop] = preMassive.result();
  // q-k maps of the example sequence: the example's (layer, head) and the grid's
  // mean alpha per block (no heads for a block without attention, so the grid never picks one)
  const alphaByBlock = Array.from({ length: arch.nLayers }, (_, l) => (attentionIndex(l) < 0 ? [] : sink.perHead.meanAlpha[attentionIndex(l)]));
  const grid = qkGridHeads(alphaByBlock, s.qkMaps);
  const maps = [{ layer: ex.layer, head: ex.head }, ...grid].filter((m, i, all) => all.findIndex((o) => o.layer === m.layer && o.head === m.head) === i);
  const T = exampleRows;
  for (const { layer, head } of maps) {
    const { q, k } = exampleQk.get(layer)!;
    const kvHead = Math.floor(head / (arch.nHeads / arch.nKvHeads)); // GQA: the kv head serving this query head
    const hd = arch.headDim;
    const d = qkDecomposition(q.subarray(head * T * hd, (head + 1) * T * hd), k.subarray(kvHead * T * hd, (kvHead + 1) * T * hd), T, hd);
    for (let i = 0; i < d.dot.length; i++) {
      qkRows.push({ model: name, layer, head, query: d.query[i], key: d.key[i], dot: d.dot[i], cos: d.cos[i], norm_product: d.normProduct[i] });
    }
  }
  const attention = sinks.attentionResult();
  const ratios = norms.map((n) => n.normRatio);
  const massiveRows = massiveTop.flatMap((slot, i) => {
    const medianAbs = slot.medianSum / done;
    return slot.top.map((t, rank) => ({
      model: name,
      hidden_index: i,
      rank,
      value: t.value,
      abs_value: t.magnitude,
      token: t.token,
      dim: t.dim,
      median_abs: medianAbs,
      over_100: t.magnitude > 100,
      over_1000x_median: t.magnitude > 1000 * medianAbs,
    }));
  });
  const firstMassive = massiveRows.find((r) => r.over_100 && r.over_1000x_median)?.hidden_index ?? -1;
  const rows: Tables['rows'] = {
    layer_metrics: norms.map((n, i) => {
      // the residual stream at this state: the state itself, except at L (the final norm's input)
      const last = i === arch.nLayers;
      const residual = last ? preNorm : n;
      const j = attentionIndex(i - 1);
      return {
        model: name,
        hidden_index: i,
        layer: i - 1,
        sink_rate: j < 0 ? NaN : sink.perLayer.rate[j],
        mean_alpha1: j < 0 ? NaN : sink.perLayer.meanAlpha[j],
        first_token_norm: n.firstTokenNorm,
        other_tokens_mean_norm: n.otherTokensMeanNorm,
        norm_ratio: n.normRatio,
        top_activation: massive[i].topActivation.magnitude,
        median_activation: massive[i].meanMedianMagnitude,
        seq_len: s.seqLen,
        residual_first_token_norm: residual.firstTokenNorm,
        residual_other_tokens_mean_norm: residual.otherTokensMeanNorm,
        residual_norm_ratio: residual.normRatio,
        residual_top_activation: last ? preTop.topActivation.magnitude : massive[i].topActivation.magnitude,
        residual_median_activation: last ? preTop.meanMedianMagnitude : massive[i].meanMedianMagnitude,
        mixing_score: j < 0 ? NaN : attention[j].mixing,
        identity_score: j < 0 ? NaN : attention[j].identity,
        prev_token_score: j < 0 ? NaN : attention[j].prevToken,
        bos_score: j < 0 ? NaN : attention[j].bos,
      };
    }),
    heads: sink.perHead.meanAlpha.flatMap((row, j) => row.map((a, h) => ({ model: name, layer: layers[j], head: h, mean_alpha1: a, sink_rate: sink.perHead.rate[j][h] }))),
    sink_sweep: sinks.epsValues.flatMap((eps) => sinks.sinkResult(eps).curves.seqLen.map((c) => ({ model: name, eps, seq_len: c.seqLen, sink_rate: c.sinkRate }))),
    sink_k: sink.curves.k.map((c) => ({ model: name, k: c.k, sink_rate: c.sinkRate, mean_alpha: c.meanAlpha })),
    norms: [
      ...norms.map((n, i) => ({ model: name, layer: i, kind: 'hidden', head: -1, first_token_norm: n.firstTokenNorm, other_tokens_mean_norm: n.otherTokensMeanNorm })),
      { model: name, layer: arch.nLayers, kind: 'hidden_pre_norm', head: -1, first_token_norm: preNorm.firstTokenNorm, other_tokens_mean_norm: preNorm.otherTokensMeanNorm },
      ...(['key', 'value'] as const).flatMap((kind) => {
        const r = (kind === 'key' ? keyNorms : valueNorms).result();
        return r.firstTokenNorm.flatMap((row, j) => row.map((f, h) => ({ model: name, layer: layers[j], kind, head: h, first_token_norm: f, other_tokens_mean_norm: r.otherTokensMeanNorm[j][h] })));
      }),
    ],
    massive: massiveRows,
    pattern: patternRows,
    qk: qkRows,
    metrics_sequences: sequenceRows,
  };
  const extra: Tables['extra'] = {
    massive: {
      emergence_hidden_index: firstMassive,
      norm_emergence_hidden_index: emergenceLayer(ratios, s.metrics.emergenceThreshold) ?? -1,
      largest_jump_hidden_index: largestJump(ratios) ?? -1,
    },
    layer_metrics: { sink_rate_model: sink.sinkRate, sink_rate_of_mean_alpha: sink.sinkRateOfMeanAlpha },
    pattern: { pattern_layer: ex.layer, pattern_head: ex.head, pattern_sequence: ex.sequence },
    qk: { qk_sequence: ex.sequence, qk_grid: JSON.stringify(grid.map(({ layer, head }) => ({ layer, head }))) },
  };
  return { rows, extra };
}

const TARGETS: Record<MetricsKind, { target: BatchTarget; version?: number }> = {
  layer_metrics: { target: LAYER_METRICS.schema, version: LAYER_METRICS.version },
  heads: { target: HEADS },
  sink_sweep: { target: SINK_SWEEP },
  sink_k: { target: SINK_K.schema, version: SINK_K.version },
  norms: { target: NORMS },
  massive: { target: MASSIVE },
  pattern: { target: PATTERN },
  qk: { target: QK },
  metrics_sequences: { target: METRICS_SEQUENCES },
};

/** metrics: Sink_k^eps, alpha per head, norms of hidden states / keys / values, massive activations, q-k decomposition. */
export async function metricsStep(ctx: PipelineContext): Promise<StepReceipt['artifacts']> {
  const out: StepReceipt['artifacts'][number][] = [];
  for (const plan of await contextPlans(ctx)) {
    const name = plan.model.ref.name;
    const mkey = plan.metricsKey;
    const present = await Promise.all(METRICS_KINDS.map((kind) => ctx.store.verify(kind, plan.metricsArtifacts[kind])));
    let tables: Tables | undefined;
    if (present.some((p) => !p)) tables = await computeMetrics(ctx, plan);
    for (const [i, kind] of METRICS_KINDS.entries()) {
      const key = plan.metricsArtifacts[kind];
      if (present[i]) {
        out.push({ kind, key, model: name, ...datasetOf(plan), cacheHit: true });
        continue;
      }
      const { target, version } = TARGETS[kind];
      const schema = 'schema' in target ? target.schema : target;
      const meta = artifactMetadata(ctx, { kind, ...(version !== undefined ? { schemaVersion: version } : {}), model: name, dataset: plan.datasetName, engine: plan.engine, backend: plan.backend, extra: tables!.extra[kind] ?? {} });
      await ctx.store.write(kind, key, schema, meta, (w) => {
        w.append(buildRecordBatchFromRows(target, tables!.rows[kind], `${kind} of ${name}`));
      });
      out.push({ kind, key, model: name, ...datasetOf(plan), cacheHit: false });
    }
    ctx.log(`metrics ${unitLabel(plan)}: ${present.every(Boolean) ? 'cache hit' : 'computed'} (${METRICS_KINDS.length} tables, key ${mkey.slice(0, 12)})`);
  }
  return out;
}
