import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalRecord } from '../eval/evaluate.js';
import { normaliseTrainConfig, type TrainConfigInput } from '../training/config.js';
import { runTraining } from '../training/run.js';

/** One variant of a sweep: a name and config overrides deep-merged over the sweep's base. */
export interface SweepVariant {
  readonly name: string;
  /** What the variant tests (shown in the table). */
  readonly question?: string;
  readonly overrides: TrainConfigInput;
}

export interface SweepSpec {
  readonly base: TrainConfigInput;
  readonly variants: readonly SweepVariant[];
}

/** One row of results.jsonl. */
export interface SweepResult {
  readonly name: string;
  readonly question: string;
  readonly final: EvalRecord;
  /** First evaluated step with model Sink_1 > 0.2 (row-normalised for sigmoid attention), or null. */
  readonly sinkStep: number | null;
  readonly trainSeconds: number;
}

const NESTED = ['model', 'data', 'schedule', 'optimizer'] as const;

/** base with overrides on top; the nested model/data/schedule/optimizer objects merge field by field. */
export function mergeConfig(base: TrainConfigInput, overrides: TrainConfigInput): TrainConfigInput {
  const merged: Record<string, unknown> = { ...base, ...overrides };
  for (const key of NESTED) if (base[key] || overrides[key]) merged[key] = { ...base[key], ...overrides[key] };
  return merged as TrainConfigInput;
}

/** Read and check a sweep file; names must be unique folder-safe identifiers. */
export function readSweepSpec(path: string): SweepSpec {
  const spec = JSON.parse(readFileSync(path, 'utf8')) as SweepSpec;
  if (!Array.isArray(spec.variants) || spec.variants.length === 0) throw new Error(`${path}: 'variants' must be a non-empty list`);
  const seen = new Set<string>();
  spec.variants.forEach((v, i) => {
    if (typeof v.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(v.name)) throw new Error(`${path}: variants[${i}].name ${JSON.stringify(v.name)} must be kebab-case`);
    if (seen.has(v.name)) throw new Error(`${path}: variants[${i}].name '${v.name}' is repeated`);
    seen.add(v.name);
    normaliseTrainConfig(mergeConfig(spec.base ?? {}, v.overrides ?? {}), `${path} variants[${i}] (${v.name})`); // fail before any training
  });
  return spec;
}

/** A rate as a percentage; '-' for a block without attention. */
const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)} %`);

/** Markdown table of sweep results. */
export function resultsTable(results: readonly SweepResult[]): string {
  const lines = [
    '| variant | question | loss | Sink_1 | per layer | slot weight | first step Sink_1 > 20 % | copy acc | time |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const note = (r: SweepResult) =>
    r.final.rowNormalizedSinkRate === undefined ? '' : ` (row-normalised: ${pct(r.final.rowNormalizedSinkRate)}, ${r.final.rowNormalizedPerLayerSinkRate!.map(pct).join(' / ')})`;
  for (const r of results) {
    const f = r.final;
    lines.push(
      `| ${r.name} | ${r.question} | ${f.loss.toFixed(3)} | ${pct(f.sinkRate)}${note(r)} | ${f.perLayerSinkRate.map(pct).join(' / ')} | ` +
        `${f.slotAttention ? f.slotAttention.map((x) => x.toFixed(2)).join(' / ') : '-'} | ${r.sinkStep ?? 'never'} | ${f.copyAccuracy?.toFixed(3) ?? '-'} | ${Math.round(r.trainSeconds)} s |`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Train every variant not yet in outDir/results.jsonl, then rewrite results.md. */
export async function runSweep(spec: SweepSpec, outDir: string, log: (line: string) => void): Promise<SweepResult[]> {
  mkdirSync(outDir, { recursive: true });
  const resultsPath = join(outDir, 'results.jsonl');
  const done = existsSync(resultsPath)
    ? readFileSync(resultsPath, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as SweepResult)
    : [];
  for (const variant of spec.variants) {
    if (done.some((r) => r.name === variant.name)) {
      log(`sweep: ${variant.name} already done, skipping`);
      continue;
    }
    const config = normaliseTrainConfig(mergeConfig(spec.base ?? {}, variant.overrides ?? {}), variant.name);
    log(`sweep: training ${variant.name} (${config.steps} steps)`);
    const summary = await runTraining(config, { outDir: join(outDir, 'runs', variant.name), log: (l) => log(`  [${variant.name}] ${l}`) });
    const result: SweepResult = {
      name: variant.name,
      question: variant.question ?? '',
      final: summary.evals.at(-1)!,
      // For unnormalised attention the row-normalised rate is the meaningful one (see EvalRecord).
      sinkStep: summary.evals.find((e) => (e.rowNormalizedSinkRate ?? e.sinkRate) > 0.2)?.step ?? null,
      trainSeconds: summary.trainSeconds,
    };
    appendFileSync(resultsPath, JSON.stringify(result) + '\n');
    done.push(result);
    writeFileSync(join(outDir, 'results.md'), resultsTable(spec.variants.map((v) => done.find((r) => r.name === v.name)).filter((r): r is SweepResult => !!r)));
  }
  return done;
}
