import { LAYERS, buildRecordBatchFromRows } from '@sinkscope/artifacts';
import type { Table } from 'apache-arrow';
import { LAYER_ENTROPY, METRICS_KINDS } from '../../kinds/step-kinds.js';
import { modelPlan } from '../../plan/model-plan.js';
import { artifactMetadata, type PipelineContext } from '../../run/context.js';
import type { StepReceipt } from '../../run/receipt.js';

export type Row = Record<string, unknown>;

/** Every table of one model's run, read from the store (an error names what is missing). */
export interface ModelTables {
  readonly name: string;
  readonly datasetName: string;
  readonly engine: string;
  readonly backend: string;
  readonly firstIsBos: boolean;
  readonly tables: Record<(typeof METRICS_KINDS)[number] | 'layer_entropy' | 'layers', Row[]>;
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

/** Read a model's metrics and entropy artifacts and join them into the `layers` table (written to the store too). */
export async function readModelTables(ctx: PipelineContext, modelIndex: number): Promise<ModelTables> {
  const plan = await modelPlan(ctx, modelIndex);
  const name = plan.model.ref.name;
  const tables = {} as ModelTables['tables'];
  const metadata: Record<string, Record<string, string>> = {};
  const artifacts: StepReceipt['artifacts'][number][] = [];
  const read = async (kind: string, key: string, step: string) => {
    const t = await ctx.store.read(kind, key);
    if (!t) throw new Error(`report ${name}: the ${kind} artifact ${key.slice(0, 12)} is missing (run the ${step} step first)`);
    metadata[kind] = metadataOf(t);
    return rowsOf(t);
  };
  for (const kind of METRICS_KINDS) tables[kind] = await read(kind, plan.metricsArtifacts[kind], 'metrics');
  tables.layer_entropy = await read(LAYER_ENTROPY.kind, plan.entropyArtifact, 'entropy');
  const entropyByIndex = new Map(tables.layer_entropy.map((r) => [r.hidden_index as number, r]));
  tables.layers = tables.layer_metrics.map((m) => {
    const e = entropyByIndex.get(m.hidden_index as number);
    if (!e) throw new Error(`report ${name}: no entropy for hidden_index ${m.hidden_index}`);
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
      anisotropy: e.anisotropy,
      seq_len: m.seq_len,
    };
  });
  const layersKey = plan.layersArtifact;
  const meta = artifactMetadata(ctx, { kind: LAYERS.kind, model: name, dataset: plan.datasetName, engine: plan.engine, backend: plan.backend, extra: { preprocessing: metadata.layer_entropy?.preprocessing ?? 'raw' } });
  const written = await ctx.store.ensure(LAYERS.kind, layersKey, LAYERS.schema, meta, (w) => {
    w.append(buildRecordBatchFromRows(LAYERS, tables.layers as never));
  });
  artifacts.push({ kind: LAYERS.kind, key: layersKey, model: name, cacheHit: written.hit });
  return { name, datasetName: plan.datasetName, engine: plan.engine, backend: plan.backend, firstIsBos: plan.firstIsBos, tables, metadata, artifacts };
}

