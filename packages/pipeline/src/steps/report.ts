import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PipelineContext } from '../run/context.js';
import type { StepReceipt } from '../run/receipt.js';
import { writeFigures } from './figures.js';
import { readModelTables, type ModelTables } from './layers-table.js';
import { layerTableMarkdown } from './summary-table.js';

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
  const where = await writeFigures(ctx, models, outDir, sections.join('\n\n'));
  ctx.print(`\n${sections.join('\n\n')}\n\nreport: ${where}\n`);
  return models.flatMap((m) => m.artifacts);
}
