import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TRAINING, buildRecordBatchFromRows, hashInputs } from '@sinkscope/artifacts';
import { REPO_ROOT, defaultStore } from '@sinkscope/pipeline';
import { signatureOnsets, DEFAULT_PHASE_THRESHOLDS } from '@sinkscope/metrics';
import { checkpointDynamicsFigure, trainingFigure, writeReport, type SignatureOnsets } from '@sinkscope/report';
import { CliError } from '../cli-error.js';

export const trainingReportUsage = 'sinkscope training-report <run folder> [<run folder> ...] [--name <report name>] [--out <dir>]';

/** One evaluation of a training run, as @sinkscope/train writes it to eval.jsonl. */
interface EvalRecord {
  step: number;
  loss: number;
  sinkRate: number;
  perLayerSinkRate: number[];
  normRatio: number[];
  entropyNormalized: number[];
}

/**
 * Rows of the `training` table from a run's eval.jsonl: one model-level row per evaluation
 * (layer -1) and one row per attention layer l with its Sink_1 and the first-token norm ratio and
 * normalised entropy of the hidden state it writes (hidden_index l + 1).
 */
export function trainingRows(run: string, records: readonly EvalRecord[]): Record<string, unknown>[] {
  return records.flatMap((r) => [
    { run, step: r.step, loss: r.loss, sink_rate: r.sinkRate, layer: -1, layer_sink_rate: NaN, norm_ratio: Math.max(...r.normRatio), entropy_normalized: Math.min(...r.entropyNormalized) },
    ...r.perLayerSinkRate.map((s, l) => ({
      run,
      step: r.step,
      loss: r.loss,
      sink_rate: r.sinkRate,
      layer: l,
      layer_sink_rate: s,
      norm_ratio: r.normRatio[l + 1],
      entropy_normalized: r.entropyNormalized[l + 1],
    })),
  ]);
}

function readEval(dir: string): EvalRecord[] {
  const file = join(dir, 'eval.jsonl');
  if (!existsSync(file)) throw new CliError(`${dir}: no eval.jsonl (a training run folder written by @sinkscope/train)`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((line, i) => {
      const r = JSON.parse(line) as EvalRecord;
      if (typeof r.step !== 'number' || !Array.isArray(r.perLayerSinkRate) || !Array.isArray(r.normRatio)) {
        throw new CliError(`${file}: line ${i + 1} lacks step / perLayerSinkRate / normRatio`);
      }
      return r;
    });
}

/**
 * Layer x step heatmap rows (the `dynamics` table's shape; series = the run): every hidden state
 * 0..L with its normalised entropy, the Sink_1 of the layer writing it, and ln norm ratio.
 */
export function dynamicsRows(run: string, records: readonly EvalRecord[]): Record<string, unknown>[] {
  return records.flatMap((r) => {
    const L = r.normRatio.length - 1;
    return r.normRatio.map((ratio, i) => ({
      series: run,
      step: r.step,
      model: run,
      hidden_index: i,
      relative_depth: i / L,
      entropy_normalized: r.entropyNormalized?.[i] ?? NaN,
      sink_rate: i === 0 ? NaN : r.perLayerSinkRate[i - 1],
      log_norm_ratio: Math.log(ratio),
    }));
  });
}

/** Training dynamics (figure 8): loss, Sink_1 and first-token norm ratio against step, stored as a `training` artifact too. */
export async function trainingReport(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: 'string', default: 'training' }, out: { type: 'string' } } });
  if (positionals.length === 0) throw new CliError('give at least one training run folder (e.g. packages/train/default-model)');
  const runs = positionals.map((dir) => ({ run: basename(resolve(dir)), records: readEval(resolve(dir)) }));
  const rows = runs.flatMap(({ run, records }) => trainingRows(run, records));
  const dynamics = runs.flatMap(({ run, records }) => dynamicsRows(run, records));
  // the first evaluation step with each signature (thresholds: the pipeline spec's defaults)
  const onsets: SignatureOnsets[] = runs.map(({ run, records }) => ({
    series: run,
    ...signatureOnsets(
      records.map((r) => ({ step: r.step, sinkRate: r.sinkRate, normRatio: r.normRatio, entropyNormalized: r.entropyNormalized ?? [] })),
      0.1,
      DEFAULT_PHASE_THRESHOLDS,
    ),
  }));
  const key = hashInputs({ training: rows.map((r) => JSON.stringify(r)).join('\n') });
  const store = defaultStore();
  await store.ensure('training', key, TRAINING.schema, {
    'sinkscope.schema_version': String(TRAINING.version),
    'sinkscope.kind': 'training',
    'sinkscope.spec_hash': key,
    'sinkscope.model': positionals.map((d) => basename(resolve(d))).join(','),
    'sinkscope.dataset': 'backcopy held-out (100 x 64)',
    'sinkscope.bos_policy': 'always',
    'sinkscope.engine': 'tfjs',
    'sinkscope.backend': 'wasm',
    'sinkscope.versions': '{}',
    'sinkscope.seq_len': '64',
    'sinkscope.eps': '0.3',
  }, (w) => {
    w.append(buildRecordBatchFromRows(TRAINING, rows as never));
  });
  const outDir = values.out ?? join(REPO_ROOT, 'reports', values.name as string);
  const caption = { models: positionals.map((d) => basename(resolve(d))), dataset: 'back-copy held-out', seqLen: 64, eps: 0.3, bosPolicy: 'always (BOS first)' };
  const written = await writeReport({
    outDir,
    title: `Training dynamics: ${positionals.map((d) => basename(resolve(d))).join(', ')}`,
    figures: [
      { id: 'training', paperFigure: 'none: sinkscope training dynamics (cf. Gu et al. 2025, Sec. 4, Sink₁ during training)', title: 'Loss, Sink_1, first-token norm ratio and matrix entropy against step', spec: trainingFigure(rows as never, caption) },
      { id: 'dynamics', paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 5; Gu et al. 2025, Fig. 4 (middle)', title: 'Layer x step heatmaps: normalised entropy, Sink_1, ln norm ratio', spec: checkpointDynamicsFigure(dynamics as never, caption, onsets) },
    ],
    tables: [{ title: 'training', rows }, { title: 'first step with each signature (Sink_1 > 0.1, norm ratio > 10, entropy < 0.7 x embeddings)', rows: onsets.map((o) => ({ run: o.series, sink: o.sink ?? -1, massive: o.massive ?? -1, valley: o.valley ?? -1 })) }],
  });
  process.stdout.write(`training artifact ${key.slice(0, 12)}; report: ${written.indexHtml}\n`);
  return 0;
}
