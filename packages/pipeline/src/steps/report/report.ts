import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ABLATION_EFFECTS, ablationSummary, type AblationEffectsRow } from '@sinkscope/ablation';
import { markdownTable } from '@sinkscope/report';
import { datasetRefs } from '../../schema/pipeline-schema.js';
import type { PipelineContext } from '../../run/context.js';
import { receiptPath, type StepReceipt } from '../../run/receipt.js';
import { writeFigures } from './figures.js';
import { readModelTables, type ModelTables, type Row } from './layers-table.js';
import { layerTableMarkdown } from './summary-table.js';

/**
 * The ablate step's artifacts of every model: from each model's own receipt (an Nx model project's
 * run) where there is one, else from the whole-pipeline receipt.
 */
function ablationReceipts(ctx: PipelineContext): StepReceipt['artifacts'] {
  const whole = receiptPath(ctx.runsRoot, ctx.spec.name, 'ablate');
  const wholeReceipt = existsSync(whole) ? (JSON.parse(readFileSync(whole, 'utf8')) as StepReceipt) : undefined;
  return ctx.spec.models.flatMap((model) => {
    const own = receiptPath(ctx.runsRoot, ctx.spec.name, 'ablate', model.name);
    if (existsSync(own)) return (JSON.parse(readFileSync(own, 'utf8')) as StepReceipt).artifacts;
    const fromWhole = wholeReceipt?.artifacts.filter((a) => a.model === model.name);
    if (!fromWhole?.length) throw new Error(`report: the spec lists ablations but the ablate step has not run for model '${model.name}' (${own} and ${whole} missing)`);
    return fromWhole;
  });
}

/** What the ablate step stored for one (model, dataset): its finding, effects rows and per-hidden-state rows. */
export interface ModelAblations {
  readonly label: string;
  readonly found: boolean;
  readonly verdict: string;
  /** `ablation_effects` rows (targeted, control, dose, skipped). */
  readonly effects: AblationEffectsRow[];
  /** `ablation` rows per hidden state of every run that ran (the ablation figure's). */
  readonly rows: Row[];
}

const rowsOf = <R>(t: { toArray(): unknown[] }): R[] => t.toArray().map((r) => (r as { toJSON(): R }).toJSON());

/** Each (model, dataset)'s ablations from the ablate step's receipt, or none when the spec lists no ablations. */
async function readAblations(ctx: PipelineContext, models: readonly ModelTables[]): Promise<ModelAblations[]> {
  if (ctx.spec.ablations.length === 0) return [];
  const artifacts = ablationReceipts(ctx);
  const out: ModelAblations[] = [];
  for (const m of models) {
    const own = artifacts.filter((a) => a.model === m.name && (a.dataset === undefined || a.dataset === m.datasetLabel));
    const summary = own.find((a) => a.kind === ABLATION_EFFECTS.kind);
    if (!summary) throw new Error(`report: no ablation_effects artifact of ${m.label} in the ablate step's receipt (rerun the ablate step)`);
    const table = await ctx.store.read(ABLATION_EFFECTS.kind, summary.key);
    if (!table) throw new Error(`report: ablation_effects artifact ${summary.key.slice(0, 12)} of ${m.label} is missing (run the ablate step)`);
    const rows: Row[] = [];
    for (const a of own.filter((x) => x.kind === 'ablation')) {
      const t = await ctx.store.read('ablation', a.key);
      if (!t) throw new Error(`report: ablation artifact ${a.key.slice(0, 12)} of ${m.label} is missing (run the ablate step)`);
      rows.push(...rowsOf<Row>(t).map((r) => ({ ...r, model: m.label })));
    }
    out.push({
      label: m.label,
      found: table.schema.metadata.get('sinkscope.massive_found') === 'true',
      verdict: table.schema.metadata.get('sinkscope.massive_verdict') ?? '',
      effects: rowsOf<AblationEffectsRow>(table).map((r) => ({ ...r, model: m.label })),
      rows,
    });
  }
  return out;
}

export function reportDir(ctx: PipelineContext): string {
  return join(ctx.reportsRoot, ctx.spec.name);
}

/** The last hidden state before and after the final norm, in words (the norms and q-k figures draw the first). */
function lastStateLine(m: ModelTables, figures: readonly string[]): string {
  const last = m.tables.layer_metrics.at(-1);
  if (!last || last.residual_norm_ratio === undefined) return '';
  const r = (x: unknown) => Number(Number(x).toPrecision(3));
  const drawn = figures.includes('norms') || figures.includes('qk') ? '; the norms figure: before, as Gu et al. 2025 plot it' : '';
  return `last hidden state (${last.hidden_index}): first-token norm ratio ${r(last.residual_norm_ratio)} before the final norm, ${r(last.norm_ratio)} after it (the table below: after, as transformers returns it${drawn})`;
}

/** Gu et al. 2025 Table 1 style: model-level Sink_1 (%) of each model (rows) on each dataset (columns). */
function datasetTable(models: readonly ModelTables[]): string {
  const datasets = [...new Set(models.map((m) => m.datasetLabel))];
  const names = [...new Set(models.map((m) => m.name))];
  const cells = names.map((name) => [
    name,
    ...datasets.map((d) => {
      const m = models.find((x) => x.name === name && x.datasetLabel === d);
      return m ? (100 * Number(m.metadata.layer_metrics?.sink_rate_model)).toFixed(2) : '-';
    }),
  ]);
  return markdownTable(['model', ...datasets.map((d) => `Sink_1 % on ${d}`)], cells, [false, ...datasets.map(() => true)]);
}

/** report: join the per-layer tables, print them, and write reports/<pipeline>/ (figures, index.html, summary.md). */
export async function reportStep(ctx: PipelineContext): Promise<StepReceipt['artifacts']> {
  const models: ModelTables[] = [];
  const datasetCount = datasetRefs(ctx.spec).length;
  for (let m = 0; m < ctx.spec.models.length; m++) for (let d = 0; d < datasetCount; d++) models.push(await readModelTables(ctx, m, d));
  const outDir = reportDir(ctx);
  mkdirSync(outDir, { recursive: true });
  const ablations = await readAblations(ctx, models);
  const sections = models.map((m) => {
    const meta = m.metadata.layer_metrics ?? {};
    const ablation = ablations.find((a) => a.label === m.label);
    return [
      `## ${m.label}`,
      '',
      `dataset ${m.datasetName}, T = ${ctx.spec.seqLen}, eps = ${ctx.spec.metrics.eps}, BOS policy ${ctx.spec.bosPolicy} (first token is BOS: ${m.firstIsBos}), engine ${m.engine} (${m.backend})`,
      '',
      `model-level Sink_1: ${(100 * Number(meta.sink_rate_model)).toFixed(2)} %`,
      '',
      lastStateLine(m, ctx.spec.figures),
      '',
      layerTableMarkdown(m),
      ...(ablation ? ['', ablationSummary({ found: ablation.found, verdict: ablation.verdict }, ablation.effects, `### Ablations: ${m.label}`).trimEnd()] : []),
    ].join('\n');
  });
  if (datasetCount > 1) sections.unshift(['## Sink_1 by dataset', '', 'Model-level Sink_1 of each model on each dataset (Gu et al. 2025, Table 1).', '', datasetTable(models)].join('\n'));
  const where = await writeFigures(ctx, models, outDir, sections.join('\n\n'), ablations);
  ctx.print(`\n${sections.join('\n\n')}\n\nreport: ${where}\n`);
  return models.flatMap((m) => m.artifacts);
}
