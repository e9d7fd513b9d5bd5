import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TRAINING, buildRecordBatchFromRows, hashInputs } from '@sinkscope/artifacts';
import { REPO_ROOT, defaultStore } from '@sinkscope/pipeline';
import { signatureOnsets, DEFAULT_PHASE_THRESHOLDS } from '@sinkscope/metrics';
import { checkpointDynamicsFigure, trainingFigure, writeReport, type SignatureOnsets } from '@sinkscope/report';
import { readRunInfo } from '@sinkscope/train/run-info';
import { CliError } from '../cli-error.js';

export const trainingReportUsage = 'sinkscope training-report <run folder> [<run folder> ...] [--name <report name>] [--out <dir>]';

/** One evaluation of a training run, as @sinkscope/train writes it to eval.jsonl. */
interface EvalRecord {
  step: number;
  loss: number;
  sinkRate: number;
  /** null for a block without attention. */
  perLayerSinkRate: (number | null)[];
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
      layer_sink_rate: s ?? NaN, // a block without attention has no Sink_1
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

/** What a run folder says about itself; a field it does not record is undefined. */
export interface RunProvenance {
  readonly run: string;
  readonly task?: string;
  /** Short: the task and held-out set, e.g. `backcopy held-out (100 x 64)`. */
  readonly dataset?: string;
  /** The data in full (run-info.json), e.g. the corpus and held-out share. */
  readonly data?: string;
  readonly seqLen?: number;
  readonly bosPolicy?: string;
  readonly eps?: number;
  readonly engine?: string;
  readonly backend?: string;
  readonly versions?: Readonly<Record<string, string>>;
}

type TrainConfigFile = { data?: { task?: string; corpus?: string; sequenceLength?: number; heldOutSequences?: number; firstToken?: string }; engine?: string; backend?: string };

/**
 * A run's provenance from its own files: run-info.json (written by @sinkscope/train when the run
 * starts) where present, else what train-config.json holds; nothing comes from a constant, and what
 * neither file records stays undefined ("not recorded" in the report).
 */
export function runProvenance(dir: string): RunProvenance {
  const run = basename(resolve(dir));
  const info = readRunInfo(dir);
  const configFile = join(dir, 'train-config.json');
  const config = existsSync(configFile) ? (JSON.parse(readFileSync(configFile, 'utf8')) as TrainConfigFile) : undefined;
  const task = info?.task ?? config?.data?.task;
  const corpus = config?.data?.task === 'text' ? config.data.corpus : undefined;
  const seqLen = info?.heldOut.seqLen ?? (config?.data?.sequenceLength !== undefined ? config.data.sequenceLength - 1 : undefined);
  const sequences = info?.heldOut.sequences ?? config?.data?.heldOutSequences;
  // train-config.json's `backend` is the tfjs backend; an onnx run's config holds its default, which did not run
  const backend = info?.backend ?? (config?.engine === 'onnx' ? undefined : config?.backend);
  return {
    run,
    ...(task !== undefined ? { task, dataset: `${task}${corpus ? ` ${corpus}` : ''} held-out${sequences !== undefined && seqLen !== undefined ? ` (${sequences} x ${seqLen})` : ''}` } : {}),
    ...(info ? { data: info.dataset, eps: info.sinkEps, versions: info.versions } : {}),
    ...(seqLen !== undefined ? { seqLen } : {}),
    ...((info?.firstToken ?? config?.data?.firstToken) !== undefined ? { bosPolicy: FIRST_TOKEN[(info?.firstToken ?? config!.data!.firstToken)!] ?? info?.firstToken ?? config!.data!.firstToken } : {}),
    ...((info?.engine ?? config?.engine) !== undefined ? { engine: info?.engine ?? config!.engine } : {}),
    ...(backend !== undefined ? { backend } : {}),
  };
}

/** The first-token policies of @sinkscope/train in words. */
const FIRST_TOKEN: Record<string, string> = { bos: 'BOS first', none: 'no BOS', random: 'a random first token' };

const NOT_RECORDED = 'not recorded';

/** The distinct values of one field over the runs, or 'not recorded' (with the runs that lack it). */
function joined(runs: readonly RunProvenance[], pick: (r: RunProvenance) => string | number | undefined): string {
  const values = [...new Set(runs.map(pick).filter((v) => v !== undefined).map(String))];
  const missing = runs.filter((r) => pick(r) === undefined).map((r) => r.run);
  if (values.length === 0) return NOT_RECORDED;
  return missing.length ? `${values.join(', ')} (${NOT_RECORDED} by ${missing.join(', ')})` : values.join(', ');
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
  const dirs = positionals.map((d) => resolve(d));
  const runs = dirs.map(runProvenance);
  const evals = dirs.map((dir, i) => ({ run: runs[i].run, records: readEval(dir) }));
  const rows = evals.flatMap(({ run, records }) => trainingRows(run, records));
  const dynamics = evals.flatMap(({ run, records }) => dynamicsRows(run, records));
  // the first evaluation step with each signature (thresholds: the pipeline spec's defaults)
  const onsets: SignatureOnsets[] = evals.map(({ run, records }) => ({
    series: run,
    ...signatureOnsets(
      records.map((r) => ({ step: r.step, sinkRate: r.sinkRate, normRatio: r.normRatio, entropyNormalized: r.entropyNormalized ?? [] })),
      0.1,
      DEFAULT_PHASE_THRESHOLDS,
    ),
  }));
  const versions = Object.fromEntries(runs.flatMap((r) => Object.entries(r.versions ?? {}).map(([k, v]) => [runs.length > 1 ? `${r.run}: ${k}` : k, v])));
  const provenance = {
    task: joined(runs, (r) => r.task),
    dataset: joined(runs, (r) => r.data ?? r.dataset),
    seq_len: joined(runs, (r) => r.seqLen),
    eps: joined(runs, (r) => r.eps),
    bos_policy: joined(runs, (r) => r.bosPolicy),
    engine: joined(runs, (r) => r.engine),
    backend: joined(runs, (r) => r.backend),
  };
  const key = hashInputs({ training: rows.map((r) => JSON.stringify(r)).join('\n'), provenance, versions });
  const store = defaultStore();
  await store.ensure('training', key, TRAINING.schema, {
    'sinkscope.schema_version': String(TRAINING.version),
    'sinkscope.kind': 'training',
    'sinkscope.spec_hash': key,
    'sinkscope.model': runs.map((r) => r.run).join(','),
    'sinkscope.dataset': provenance.dataset,
    'sinkscope.bos_policy': provenance.bos_policy,
    'sinkscope.engine': provenance.engine,
    'sinkscope.backend': provenance.backend,
    'sinkscope.versions': JSON.stringify(versions),
    'sinkscope.seq_len': provenance.seq_len,
    'sinkscope.eps': provenance.eps,
    'sinkscope.task': provenance.task,
  }, (w) => {
    w.append(buildRecordBatchFromRows(TRAINING, rows as never));
  });
  const outDir = values.out ?? join(REPO_ROOT, 'reports', values.name as string);
  const epsValues = [...new Set(runs.flatMap((r) => (r.eps === undefined ? [] : [r.eps])))];
  const seqLens = [...new Set(runs.flatMap((r) => (r.seqLen === undefined ? [] : [r.seqLen])))];
  const caption = {
    models: runs.map((r) => r.run),
    dataset: [...new Set(runs.map((r) => r.dataset ?? `${NOT_RECORDED} (${r.run})`))].join(', '),
    seqLen: seqLens,
    eps: epsValues.length ? epsValues : null,
    bosPolicy: provenance.bos_policy,
  };
  if (seqLens.length === 0) throw new CliError(`${dirs.join(', ')}: no run records its sequence length (train-config.json or run-info.json)`);
  const written = await writeReport({
    outDir,
    title: `Training dynamics: ${runs.map((r) => r.run).join(', ')}`,
    metadata: { runs: runs.map((r) => r.run).join(', '), ...provenance, versions: Object.keys(versions).length ? versions : NOT_RECORDED },
    figures: [
      { id: 'training', paperFigure: 'none: sinkscope training dynamics (cf. Gu et al. 2025, Sec. 4, Sink₁ during training)', title: 'Loss, Sink_1, first-token norm ratio and matrix entropy against step', spec: trainingFigure(rows as never, caption) },
      { id: 'dynamics', paperFigure: 'Queipo-de-Llano et al. 2025, Fig. 5; Gu et al. 2025, Fig. 4 (middle)', title: 'Layer x step heatmaps: normalised entropy, Sink_1, ln norm ratio', spec: checkpointDynamicsFigure(dynamics as never, caption, onsets) },
    ],
    tables: [{ title: 'training', rows }, { title: 'first step with each signature (Sink_1 > 0.1, norm ratio > 10, entropy < 0.7 x embeddings)', rows: onsets.map((o) => ({ run: o.series, sink: o.sink ?? -1, massive: o.massive ?? -1, valley: o.valley ?? -1 })) }],
  });
  process.stdout.write(`training artifact ${key.slice(0, 12)}; report: ${written.indexHtml}\n`);
  return 0;
}
