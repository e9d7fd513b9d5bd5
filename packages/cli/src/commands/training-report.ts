import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TRAINING, buildRecordBatchFromRows, hashInputs } from '@sinkscope/artifacts';
import { REPO_ROOT, defaultStore } from '@sinkscope/pipeline';
import { trainingFigure, writeReport } from '@sinkscope/report';
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

/** Training dynamics (figure 8): loss, Sink_1 and first-token norm ratio against step, stored as a `training` artifact too. */
export async function trainingReport(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: 'string', default: 'training' }, out: { type: 'string' } } });
  if (positionals.length === 0) throw new CliError('give at least one training run folder (e.g. packages/train/default-model)');
  const rows = positionals.flatMap((dir) => trainingRows(basename(resolve(dir)), readEval(resolve(dir))));
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
  const written = await writeReport({
    outDir,
    title: `Training dynamics: ${positionals.map((d) => basename(resolve(d))).join(', ')}`,
    figures: [{ id: 'training', paperFigure: 'none: sinkscope training dynamics (cf. Gu et al. 2025, Sec. 4, Sink₁ during training)', title: 'Loss, Sink_1 and first-token norm ratio against step', spec: trainingFigure(rows as never, { models: positionals.map((d) => basename(resolve(d))), dataset: 'back-copy held-out', seqLen: 64, eps: 0.3, bosPolicy: 'always (BOS first)' }) }],
    tables: [{ title: 'training', rows }],
  });
  process.stdout.write(`training artifact ${key.slice(0, 12)}; report: ${written.indexHtml}\n`);
  return 0;
}
