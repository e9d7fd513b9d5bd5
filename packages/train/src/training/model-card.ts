import * as ort from 'onnxruntime-node';
import { dataSummary } from '../data/training-data.js';
import type { EvalRecord } from '../eval/evaluate.js';
import { numParameters } from '../model/params.js';
import type { TrainConfig } from './config.js';
import { formatDuration } from './progress.js';

const ortVersion = () => ort.env.versions.node ?? ort.env.versions.common;

const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)} %`);

export interface ModelCardInput {
  readonly config: TrainConfig;
  readonly evals: readonly EvalRecord[];
  /** Wall seconds of training + evaluation, over all sessions. */
  readonly trainSeconds: number;
  /** Tokens per second inside training steps. */
  readonly tokensPerSecond: number;
  /** Median and best tokens/s over the logged windows (the spread shows machine contention). */
  readonly windowTokensPerSecond?: { readonly median: number; readonly best: number };
  readonly finalTrainLoss: number;
}

/** The README.md model card of a trained folder. */
export function modelCard(run: ModelCardInput): string {
  const { config, evals } = run;
  const m = config.model;
  const last = evals.at(-1);
  const lines: string[] = [];
  lines.push(`# Back-copy GPT-2 (${m.nLayer} x ${m.nEmbd}), trained with @sinkscope/train`, '');
  lines.push(
    'A tiny GPT-2 trained from scratch on the multi-offset back-copy task (its rules in',
    '`@sinkscope/datasets` `backcopy.ts`) so that its heads become active only after rare trigger tokens and',
    'park on the first token otherwise: an attention sink (Gu et al., ICLR 2025). A plain Hugging Face',
    '`gpt2` folder (`config.json`, F32 `model.safetensors`, tied lm_head, WordLevel `tokenizer.json` over',
    '`t0`..`t63` + `<bos>`).',
    '',
  );
  lines.push('## Config', '', '| field | value |', '| --- | --- |');
  const rows: [string, string][] = [
    ['layers x width x heads', `${m.nLayer} x ${m.nEmbd} x ${m.nHead} (MLP ${m.nInner ?? 4 * m.nEmbd}, ${m.activation})`],
    ['parameters', numParameters(m).toLocaleString('en-US')],
    ['vocab / positions', `${m.vocabSize} (BOS = ${m.bosTokenId}) / ${m.nPositions}`],
    ['data', dataSummary(config.data)],
    ['training seed', String(config.seed)],
    ['steps x batch', `${config.steps} x ${config.batchSize} x ${config.data.sequenceLength - 1} tokens (${((config.steps * config.batchSize * (config.data.sequenceLength - 1)) / 1e6).toFixed(2)} M tokens)`],
    ['optimizer', `AdamW betas (${config.optimizer.beta1}, ${config.optimizer.beta2}), eps ${config.optimizer.eps}, weight decay ${config.optimizer.weightDecay} on ${config.optimizer.decayOn}, clip ${config.optimizer.clipNorm}`],
    ['schedule', `peak lr ${config.schedule.peakLr}, warm-up ${config.schedule.warmupSteps}, cosine to ${config.schedule.minLrRatio} x peak at step ${config.schedule.decaySteps}`],
    ['init', `N(0, ${config.initStd}); residual out-projections N(0, ${config.initStd} / sqrt(2 x ${m.nLayer}))`],
    ['engine', config.engine === 'onnx' ? `ONNX Runtime ${ortVersion()} (onnxruntime-node, CPU), model-io's traced forward + reverse-mode graph, float32` : `TensorFlow.js 4.22, ${config.backend} backend, float32`],
    ['wall time', `${formatDuration(run.trainSeconds)} (${Math.round(run.trainSeconds)} s, training + evaluations)`],
    ['throughput', `${Math.round(run.tokensPerSecond).toLocaleString('en-US')} tokens/s in training steps`],
  ];
  if (run.windowTokensPerSecond) {
    const w = run.windowTokensPerSecond;
    const perStep = config.batchSize * (config.data.sequenceLength - 1);
    rows.push([
      'throughput per log window',
      `median ${Math.round(w.median).toLocaleString('en-US')}, best ${Math.round(w.best).toLocaleString('en-US')} tokens/s ` +
        `(best = ${((1000 * perStep) / w.best).toFixed(0)} ms per step, ${((config.steps * perStep) / w.best / 60).toFixed(1)} min for ${config.steps} steps)`,
    ]);
  }
  for (const [k, v] of rows) lines.push(`| ${k} | ${v} |`);
  lines.push('');
  if (last) {
    const L = m.nLayer;
    lines.push(`## Held-out results at step ${last.step}`, '');
    lines.push(`${config.data.heldOutSequences} held-out sequences (fixed seed), T = ${config.data.sequenceLength - 1}. Sink_1: alpha_1 = mean over all T query rows of A[t, 0]; indicator alpha_1 > 0.3 per sequence, averaged over sequences and heads.`, '');
    lines.push(`- loss ${last.loss.toFixed(4)} nats (last training batch ${run.finalTrainLoss.toFixed(4)}); copy-target accuracy ${last.copyAccuracy === null ? 'n/a' : last.copyAccuracy.toFixed(3)}`);
    lines.push(`- model Sink_1 ${pct(last.sinkRate)}`, '');
    lines.push('| layer | Sink_1 | mean alpha_1 per head |', '| --- | --- | --- |');
    for (let l = 0; l < L; l++) lines.push(`| ${l} | ${pct(last.perLayerSinkRate[l])} | ${last.meanAlpha[l].map((a) => a.toFixed(3)).join(', ')} |`);
    lines.push('', '| hidden state | first-token norm ratio | normalised matrix entropy |', '| --- | --- | --- |');
    for (let i = 0; i <= L; i++) {
      const name = i === 0 ? 'embeddings' : i === L ? `block ${i - 1} + ln_f` : `after block ${i - 1}`;
      lines.push(`| ${i} (${name}) | ${last.normRatio[i].toFixed(3)} | ${last.entropyNormalized[i].toFixed(3)} |`);
    }
    lines.push('');
    lines.push('## Evaluation history', '', '| step | loss | Sink_1 | per layer | copy acc |', '| --- | --- | --- | --- | --- |');
    for (const e of evals) {
      lines.push(`| ${e.step} | ${e.loss.toFixed(4)} | ${pct(e.sinkRate)} | ${e.perLayerSinkRate.map(pct).join(' / ')} | ${e.copyAccuracy === null ? '' : e.copyAccuracy.toFixed(3)} |`);
    }
    lines.push('');
  }
  lines.push('Every evaluation is in `eval.jsonl`, per-window training losses in `train-log.jsonl`, the exact config in `train-config.json`.');
  lines.push('Retrain with `npx nx run train-default:train`.', '');
  return lines.join('\n');
}
