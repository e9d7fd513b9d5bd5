import { ENTROPY_SEQUENCES, LAYERS, LOGIT_LENS, MULTIPLE_CHOICE, PROBES, buildRecordBatchFromRows } from '@sinkscope/artifacts';
import { mixCompressRefine, transitionLayer } from '@sinkscope/metrics';
import type { Table } from 'apache-arrow';
import { LAYER_ENTROPY, METRICS_KINDS } from '../../kinds/step-kinds.js';
import { Checkpoint, parameterCount } from '@sinkscope/model-io';
import { datasetOf, modelPlan, unitLabel } from '../../plan/model-plan.js';
import { artifactMetadata, type PipelineContext } from '../../run/context.js';
import type { StepReceipt } from '../../run/receipt.js';

export type Row = Record<string, unknown>;

/** Every table of one model's run on one dataset, read from the store (an error names what is missing). */
export interface ModelTables {
  /** The model's name in the spec. */
  readonly name: string;
  /** How figures and tables name it: the model, or `model · dataset` when the spec lists several datasets. */
  readonly label: string;
  readonly datasetName: string;
  /** The dataset's label in the spec (its name unless given), and its index there. */
  readonly datasetLabel: string;
  readonly datasetIndex: number;
  /** From the checkpoint: its parameter count (model-io's parameterCount of its config) and family (its adapter). */
  readonly parameters: number;
  readonly family: string;
  readonly engine: string;
  readonly backend: string;
  readonly firstIsBos: boolean;
  readonly tables: Record<(typeof METRICS_KINDS)[number] | 'layer_entropy' | 'entropy_sequences' | 'layers' | 'logit_lens' | 'multiple_choice' | 'probes', Row[]>;
  /** The model's `series` and training `step` (checkpoint dynamics; step undefined when not given). */
  readonly series: string;
  readonly step: number | undefined;
  /** Number of blocks L (hidden states 0..L). */
  readonly layers: number;
  readonly metadata: Record<string, Record<string, string>>;
  readonly artifacts: StepReceipt['artifacts'];
}

function rowsOf(table: Table): Row[] {
  return table.toArray().map((r) => (r as { toJSON(): Row }).toJSON());
}

function metadataOf(table: Table): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of table.schema.metadata) if (k.startsWith('sinkscope.')) out[k.slice('sinkscope.'.length)] = v;
  return out;
}

/** The family a model-io adapter names: the start of its summary ('GPT-2', 'Llama', 'GPT-NeoX/Pythia', ...). */
export function familyName(summary: string): string {
  return summary.split(/[:(]/)[0].trim();
}

/** Read a model's metrics and entropy artifacts on one dataset and join them into the `layers` table (written to the store too). */
export async function readModelTables(ctx: PipelineContext, modelIndex: number, datasetIndex = 0): Promise<ModelTables> {
  const plan = await modelPlan(ctx, modelIndex, datasetIndex);
  const name = plan.model.ref.name;
  const ckpt = Checkpoint.open(plan.model.dir);
  let family: string;
  try {
    family = familyName(ckpt.family.summary);
  } finally {
    ckpt.close();
  }
  const tables = {} as ModelTables['tables'];
  const metadata: Record<string, Record<string, string>> = {};
  const artifacts: StepReceipt['artifacts'][number][] = [];
  const read = async (kind: string, key: string, step: string) => {
    const t = await ctx.store.read(kind, key);
    if (!t) throw new Error(`report ${unitLabel(plan)}: the ${kind} artifact ${key.slice(0, 12)} is missing (run the ${step} step first)`);
    metadata[kind] = metadataOf(t);
    return rowsOf(t);
  };
  for (const kind of METRICS_KINDS) tables[kind] = await read(kind, plan.metricsArtifacts[kind], 'metrics');
  tables.layer_entropy = await read(LAYER_ENTROPY.kind, plan.entropyArtifact, 'entropy');
  tables.entropy_sequences = await read(ENTROPY_SEQUENCES.kind, plan.entropySequencesArtifact, 'entropy');
  const lens = plan.lensArtifacts;
  tables.logit_lens = lens.logitLens ? await read(LOGIT_LENS.kind, lens.logitLens, 'lens') : [];
  tables.multiple_choice = lens.multipleChoice ? await read(MULTIPLE_CHOICE.kind, lens.multipleChoice, 'lens') : [];
  tables.probes = lens.probes ? await read(PROBES.kind, lens.probes, 'lens') : [];
  const entropyByIndex = new Map(tables.layer_entropy.map((r) => [r.hidden_index as number, r]));
  const lensByIndex = new Map(tables.logit_lens.map((r) => [r.hidden_index as number, r]));
  const L = plan.model.arch.nLayers;
  // the transition layer and the Mix-Compress-Refine phases (rules in @sinkscope/metrics' emergence.ts)
  const firstNorms = tables.layer_metrics.map((m) => Number(m.first_token_norm));
  const transition = firstNorms.every((n) => n > 0) ? transitionLayer(firstNorms) : null;
  const phases = mixCompressRefine(
    tables.layer_metrics.map((m) => Number(m.norm_ratio)),
    tables.layer_metrics.map((m) => Number(entropyByIndex.get(m.hidden_index as number)?.entropy_normalized ?? NaN)),
    ctx.spec.analyses.phases,
  );
  tables.layers = tables.layer_metrics.map((m, row) => {
    const e = entropyByIndex.get(m.hidden_index as number);
    if (!e) throw new Error(`report ${name}: no entropy for hidden_index ${m.hidden_index}`);
    const i = m.hidden_index as number;
    const lensRow = lensByIndex.get(i);
    return {
      model: name,
      hidden_index: m.hidden_index,
      layer: m.layer,
      sink_rate: m.sink_rate,
      first_token_norm: m.first_token_norm,
      other_tokens_mean_norm: m.other_tokens_mean_norm,
      norm_ratio: m.norm_ratio,
      top_activation: m.top_activation,
      median_activation: m.median_activation,
      entropy: e.entropy,
      entropy_normalized: e.entropy_normalized,
      renyi2: e.renyi2,
      entropy_bound: e.entropy_bound,
      entropy_bound_alpha0: e.entropy_bound_alpha0,
      mean_cosine: e.mean_cosine,
      seq_len: m.seq_len,
      relative_depth: i / L,
      transition: i === transition,
      phase: phases.phase[row],
      p1: e.p1,
      p1_lower: e.p1_lower,
      dominance: e.dominance,
      dominance_lower: e.dominance_lower,
      alignment: e.alignment,
      c: e.c,
      entropy_upper: e.entropy_upper,
      entropy_rank_normalized: e.entropy_rank_normalized,
      entropy_upper_rank_normalized: e.entropy_upper_rank_normalized,
      mixing_score: m.mixing_score,
      identity_score: m.identity_score,
      prev_token_score: m.prev_token_score,
      bos_score: m.bos_score,
      logit_lens_loss: lensRow?.loss ?? NaN,
      logit_lens_perplexity: lensRow?.perplexity ?? NaN,
    };
  });
  const layersKey = plan.layersArtifact;
  const meta = artifactMetadata(ctx, { kind: LAYERS.kind, model: name, dataset: plan.datasetName, engine: plan.engine, backend: plan.backend, extra: {
      preprocessing: metadata.layer_entropy?.preprocessing ?? 'raw',
      transition_hidden_index: transition ?? -1,
      mix_end_hidden_index: phases.mixEnd ?? -1,
      refine_start_hidden_index: phases.refineStart ?? -1,
      phase_thresholds: JSON.stringify(ctx.spec.analyses.phases),
    },
  });
  const written = await ctx.store.ensure(LAYERS.kind, layersKey, LAYERS.schema, meta, (w) => {
    w.append(buildRecordBatchFromRows(LAYERS, tables.layers as never));
  });
  artifacts.push({ kind: LAYERS.kind, key: layersKey, model: name, ...datasetOf(plan), cacheHit: written.hit });
  metadata.layers = Object.fromEntries([...meta].filter(([k]) => k.startsWith('sinkscope.')).map(([k, v]) => [k.slice('sinkscope.'.length), v]));
  const ref = plan.model.ref;
  return {
    name,
    label: unitLabel(plan),
    datasetName: plan.datasetName,
    datasetLabel: plan.datasetLabel,
    datasetIndex: plan.datasetIndex,
    parameters: parameterCount(plan.model.arch),
    family,
    engine: plan.engine,
    backend: plan.backend,
    firstIsBos: plan.firstIsBos,
    tables,
    metadata,
    artifacts,
    series: ref.series ?? ref.name.replace(/@.*$/, ''),
    step: ref.step,
    layers: L,
  };
}

