import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBackend } from '../engine/backend.js';
import type { EvalRecord } from '../eval/evaluate.js';
import { hasCheckpoint, openCheckpoint, readRunState, saveCheckpoint } from './checkpoint-state.js';
import type { TrainConfig } from './config.js';
import { modelCard } from './model-card.js';
import { readRunInfo, runInfoOf, writeRunInfo } from './run-info.js';
import { formatDuration, progressLine } from './progress.js';
import { createTrainingEngine, type TrainingEngine } from './engine.js';

export interface RunOptions {
  /** Output folder: HF gpt2 model files, eval.jsonl, train-log.jsonl, README.md, resume/. */
  readonly outDir: string;
  /** Continue from the checkpoint in outDir (error if there is none). */
  readonly resume?: boolean;
  /** Where progress lines go (default: stderr). */
  readonly log?: (line: string) => void;
  /** Markdown appended to the README.md model card (`--card-appendix`). */
  readonly cardAppendix?: string;
  /**
   * The onnx engine's ORT threads (`--threads`; default every core). Only 1 thread makes reruns
   * bit-identical: with 2, ORT's kernels may add partial sums in another order from run to run.
   */
  readonly threads?: number;
}

export interface RunSummary {
  readonly steps: number;
  readonly finalLoss: number;
  readonly evals: EvalRecord[];
  readonly trainSeconds: number;
  readonly tokensPerSecond: number;
}

const EVAL_FILE = 'eval.jsonl';
const LOG_FILE = 'train-log.jsonl';

function readJsonLines<T extends { step: number }>(path: string, upToStep: number): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T)
    .filter((r) => r.step <= upToStep);
}

function writeJsonLines(path: string, records: readonly unknown[]): void {
  writeFileSync(path, records.map((r) => JSON.stringify(r) + '\n').join(''));
}

interface LogRecord {
  step: number;
  loss: number;
  tokensPerSecond: number;
}

function windowStats(log: readonly LogRecord[]): { median: number; best: number } | undefined {
  const rates = log.map((r) => r.tokensPerSecond).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return rates.length ? { median: rates[Math.floor(rates.length / 2)], best: rates[rates.length - 1] } : undefined;
}

/** Rewrite README.md of a finished output folder from its eval.jsonl, train-log.jsonl and resume/state.json. */
export function rewriteModelCard(outDir: string, appendix?: string): void {
  const state = readRunState(outDir);
  const evals = readJsonLines<EvalRecord>(join(outDir, EVAL_FILE), state.step);
  const log = readJsonLines<LogRecord>(join(outDir, LOG_FILE), state.step);
  const perStep = state.config.batchSize * (state.config.data.sequenceLength - 1);
  // Log windows exclude evaluations and checkpoints: their summed durations are the training time.
  let seconds = 0;
  let steps = 0;
  log.forEach((r, i) => {
    const windowSteps = r.step - (i > 0 ? log[i - 1].step : 0);
    seconds += (windowSteps * perStep) / r.tokensPerSecond;
    steps += windowSteps;
  });
  const tokensPerSecond = (steps * perStep) / seconds;
  writeFileSync(
    join(outDir, 'README.md'),
    modelCard({ config: state.config, evals, trainSeconds: state.trainSeconds, tokensPerSecond, windowTokensPerSecond: windowStats(log), finalTrainLoss: log.at(-1)?.loss ?? NaN, info: readRunInfo(outDir), appendix }),
  );
}

/** Train (or resume) a run, writing checkpoints, eval.jsonl and a model card to `outDir`. */
export async function runTraining(config: TrainConfig, options: RunOptions): Promise<RunSummary> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const { outDir } = options;
  if (config.engine === 'tfjs') await useBackend(config.backend);
  mkdirSync(outDir, { recursive: true });
  let trainer: TrainingEngine;
  let previousSeconds = 0;
  if (options.resume) {
    if (!hasCheckpoint(outDir)) throw new Error(`--resume: no checkpoint in ${outDir} (expected ${join(outDir, 'resume', 'state.json')})`);
    const loaded = await openCheckpoint(outDir, { threads: options.threads });
    if (JSON.stringify({ ...loaded.state.config, steps: 0 }) !== JSON.stringify({ ...config, steps: 0 })) {
      await loaded.trainer.dispose();
      throw new Error(`--resume: the config differs from the one the checkpoint in ${outDir} was trained with (only 'steps' may change)`);
    }
    trainer = loaded.trainer;
    previousSeconds = loaded.state.trainSeconds;
    log(`resumed ${outDir} at step ${trainer.step}`);
  } else {
    trainer = await createTrainingEngine(config, {}, { threads: options.threads });
  }
  try {
    const evalPath = join(outDir, EVAL_FILE);
    const logPath = join(outDir, LOG_FILE);
    const evals = readJsonLines<EvalRecord>(evalPath, trainer.step);
    const trainLog = readJsonLines<LogRecord>(logPath, trainer.step);
    writeJsonLines(evalPath, evals);
    writeJsonLines(logPath, trainLog);
    writeFileSync(join(outDir, 'train-config.json'), JSON.stringify(config, null, 2) + '\n');
    const info = runInfoOf(config, options.threads !== undefined ? { threads: options.threads } : {});
    writeRunInfo(outDir, info);

    const sessionStart = performance.now();
    const seconds = () => previousSeconds + (performance.now() - sessionStart) / 1000;
    let windowStart = performance.now();
    let windowLoss = 0;
    let windowSteps = 0;
    let trainOnlySeconds = 0;
    let trainedSteps = 0;
    while (trainer.step < config.steps) {
      const t0 = performance.now();
      const r = await trainer.trainStep();
      trainOnlySeconds += (performance.now() - t0) / 1000;
      trainedSteps += 1;
      windowLoss += r.loss;
      windowSteps += 1;
      const done = trainer.step;
      if (done % config.logEvery === 0 || done === config.steps) {
        const elapsed = (performance.now() - windowStart) / 1000;
        const tokensPerSecond = (windowSteps * trainer.tokensPerStep) / elapsed;
        const record = { step: done, loss: windowLoss / windowSteps, lr: r.lr, gradNorm: r.gradNorm, tokensPerSecond, seconds: seconds() };
        log(progressLine({ ...record, steps: config.steps, etaSeconds: ((config.steps - done) * elapsed) / windowSteps }));
        trainLog.push(record);
        writeFileSync(logPath, JSON.stringify(record) + '\n', { flag: 'a' });
        windowStart = performance.now();
        windowLoss = 0;
        windowSteps = 0;
      }
      if (done % config.evalEvery === 0 || done === config.steps) {
        const e = await trainer.evaluate();
        evals.push(e);
        writeFileSync(evalPath, JSON.stringify(e) + '\n', { flag: 'a' });
        log(
          `eval @${done}: loss ${e.loss.toFixed(4)}  Sink_1 ${(100 * e.sinkRate).toFixed(1)}% (layers ${e.perLayerSinkRate.map((x) => (x === null ? '-' : (100 * x).toFixed(0) + '%')).join(' / ')})  ` +
            `copy acc ${e.copyAccuracy === null ? '-' : e.copyAccuracy.toFixed(3)}  norm ratio ${e.normRatio.map((x) => x.toFixed(2)).join(' / ')}`,
        );
        windowStart = performance.now();
      }
      if (done % config.checkpointEvery === 0 || done === config.steps) saveCheckpoint(outDir, trainer, seconds());
    }
    const trainSeconds = seconds();
    const tokensPerSecond = trainedSteps > 0 ? (trainedSteps * trainer.tokensPerStep) / trainOnlySeconds : NaN;
    writeFileSync(join(outDir, 'README.md'), modelCard({ config, evals, trainSeconds, tokensPerSecond, windowTokensPerSecond: windowStats(trainLog), finalTrainLoss: trainLog.at(-1)?.loss ?? NaN, info, appendix: options.cardAppendix }));
    log(`done: ${config.steps} steps in ${formatDuration(trainSeconds)} (this session ${Math.round(tokensPerSecond)} tok/s in training steps); wrote ${outDir}`);
    return { steps: config.steps, finalLoss: evals.at(-1)?.loss ?? NaN, evals, trainSeconds, tokensPerSecond };
  } finally {
    await trainer.dispose();
  }
}
