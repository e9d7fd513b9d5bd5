import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** The ablate step's `ablation` tables (from its receipt), or none when the spec lists no ablations. */
async function readAblationRows(ctx: PipelineContext): Promise<Row[]> {
  if (ctx.spec.ablations.length === 0) return [];
  const rows: Row[] = [];
  for (const a of ablationReceipts(ctx).filter((x) => x.kind === 'ablation')) {
    const t = await ctx.store.read('ablation', a.key);
    if (!t) throw new Error(`report: ablation artifact ${a.key.slice(0, 12)} of ${a.model} is missing (run the ablate step)`);
    rows.push(...t.toArray().map((r) => (r as { toJSON(): Row }).toJSON()));
  }
  return rows;
}

export function reportDir(ctx: PipelineContext): string {
  return join(ctx.reportsRoot, ctx.spec.name);
}

/** report: join the per-layer tables, print them, and write reports/<pipeline>/ (figures, index.html, summary.md). */
export async function reportStep(ctx: PipelineContext): Promise<StepReceipt['artifacts']> {
  const models: ModelTables[] = [];
  for (let m = 0; m < ctx.spec.models.length; m++) models.push(await readModelTables(ctx, m));
  const outDir = reportDir(ctx);
  mkdirSync(outDir, { recursive: true });
  const sections = models.map((m) => {
    const meta = m.metadata.layer_metrics ?? {};
    return [
      `## ${m.name}`,
      '',
      `dataset ${m.datasetName}, T = ${ctx.spec.seqLen}, eps = ${ctx.spec.metrics.eps}, BOS policy ${ctx.spec.bosPolicy} (first token is BOS: ${m.firstIsBos}), engine ${m.engine} (${m.backend})`,
      '',
      `model-level Sink_1: ${(100 * Number(meta.sink_rate_model)).toFixed(2)} %`,
      '',
      layerTableMarkdown(m),
    ].join('\n');
  });
  const ablation = await readAblationRows(ctx);
  const where = await writeFigures(ctx, models, outDir, sections.join('\n\n'), ablation);
  ctx.print(`\n${sections.join('\n\n')}\n\nreport: ${where}\n`);
  return models.flatMap((m) => m.artifacts);
}
