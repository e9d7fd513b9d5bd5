import type { EvalRecord } from '../eval/evaluate.js';
import { isGpt2, type ModelConfig } from '../model/config.js';
import { numParameters } from '../model/params.js';
import type { TrainConfig } from './config.js';
import { formatDuration } from './progress.js';
import type { RunInfo } from './run-info.js';

const NOT_RECORDED = 'not recorded (the run predates run-info.json)';

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
  /** The mean training loss over the last log window (train-log.jsonl's last record). */
  readonly finalTrainLoss: number;
  /** The run's run-info.json: task, data, held-out set, BOS policy, eps, engine, versions (undefined: a run that predates it). */
  readonly info: RunInfo | undefined;
  /** Markdown appended after the generated card (measurements made outside the trainer, the search appendix). */
  readonly appendix?: string;
}

/** The checkpoint folder: a plain `gpt2` one, or the `sinkscope` variant it is (its config.json's variant fields in words). */
function folderDescription(m: ModelConfig, tokenizer: string): string[] {
  if (isGpt2(m)) return [`A plain Hugging Face \`gpt2\` folder (\`config.json\`, F32 \`model.safetensors\`, tied lm_head) with ${tokenizer}.`];
  const parts: string[] = [];
  if (m.attentionFreeLayers.length) parts.push(`block${m.attentionFreeLayers.length > 1 ? 's' : ''} ${m.attentionFreeLayers.join(', ')} without attention (MLP only)`);
  if (m.mlpFreeLayers.length) parts.push(`block${m.mlpFreeLayers.length > 1 ? 's' : ''} ${m.mlpFreeLayers.join(', ')} without MLP`);
  parts.push(m.norm === 'rmsnorm' ? 'RMSNorm' : 'LayerNorm');
  if (m.normPlacement !== 'pre') parts.push(`${m.normPlacement}-norm`);
  parts.push(m.gatedMlp ? (m.activation === 'silu' ? 'SwiGLU MLPs' : `gated ${m.activation} MLPs`) : `${m.activation} MLPs`);
  if (m.positionEncoding !== 'learned') parts.push(`${m.positionEncoding} positions`);
  if (m.attention !== 'softmax') parts.push(`${m.attention} attention`);
  if (!m.linearBias) parts.push('no linear biases');
  parts.push(m.tieEmbeddings ? 'tied lm_head' : 'untied lm_head');
  return [
    'A Hugging Face `sinkscope` folder (`model_type: "sinkscope"`, which every sinkscope pipeline loads; `config.json`, F32',
    `\`model.safetensors\`, ${tokenizer}): ${parts.join(', ')}.`,
  ];
}

/** The task's paragraph: what the model was trained on and what its folder holds. */
function taskParagraph(config: TrainConfig, info: RunInfo | undefined): string[] {
  const m = config.model;
  if (config.data.task === 'text') {
    return [
      `A tiny transformer trained from scratch on natural text, byte by byte: ${info?.dataset ?? config.data.corpus}.`,
      ...folderDescription(m, 'a byte-level `tokenizer.json` (256 byte ids + `<bos>` = 256)'),
      '',
    ];
  }
  return [
    'A tiny transformer trained from scratch on the multi-offset back-copy task (its rules in',
    '`@sinkscope/datasets` `backcopy.ts`) so that its heads become active only after rare trigger tokens and',
    'park on the first token otherwise: an attention sink (Gu et al., ICLR 2025).',
    ...folderDescription(m, `a WordLevel \`tokenizer.json\` over \`t0\`..\`t${config.data.numOrdinary - 1}\` + \`<bos>\``),
    '',
  ];
}

function scheduleSummary(config: TrainConfig): string {
  const { peakLr, warmupSteps, decay, minLrRatio, decaySteps } = config.schedule;
  return decay === 'constant'
    ? `peak lr ${peakLr}, warm-up ${warmupSteps}, then constant`
    : `peak lr ${peakLr}, warm-up ${warmupSteps}, cosine to ${minLrRatio} x peak at step ${decaySteps}`;
}

function optimizerSummary(config: TrainConfig): string {
  const o = config.optimizer;
  const groups = Object.entries(o.weightDecayByGroup ?? {});
  const decay = `weight decay ${o.weightDecay} on ${o.decayOn}${groups.length ? ` (${groups.map(([g, v]) => `${g} ${v}`).join(', ')})` : ''}`;
  return `AdamW betas (${o.beta1}, ${o.beta2}), eps ${o.eps}, ${decay}, clip ${o.clipNorm}`;
}

/** The engine as it ran, from run-info.json. */
function engineLine(info: RunInfo | undefined): string {
  if (!info) return NOT_RECORDED;
  return info.engine === 'onnx'
    ? `ONNX Runtime ${info.versions['onnxruntime-node'] ?? '(version not recorded)'} (onnxruntime-node, ${info.backend}${threadsNote(info.threads)}), model-io's traced forward + reverse-mode graph, float32`
    : `TensorFlow.js ${info.versions['@tensorflow/tfjs'] ?? '(version not recorded)'}, ${info.backend} backend, float32`;
}

/** ORT's thread count when the run fixed it: only one thread gives bit-identical reruns. */
function threadsNote(threads: number | undefined): string {
  if (threads === undefined) return '';
  return threads === 1 ? ', 1 thread: reruns are bit-identical' : `, ${threads} threads: reruns are not bit-identical`;
}

/** The README.md model card of a trained folder. */
export function modelCard(run: ModelCardInput): string {
  const { config, evals, info } = run;
  const m = config.model;
  const last = evals.at(-1);
  const lines: string[] = [];
  const task = config.data.task === 'text' ? `Byte-level ${config.data.corpus}` : 'Back-copy';
  lines.push(`# ${task} ${isGpt2(m) ? 'GPT-2' : 'sinkscope variant'} (${m.nLayer} x ${m.nEmbd}), trained with @sinkscope/train`, '');
  lines.push(...taskParagraph(config, info));
  lines.push('## Config', '', '| field | value |', '| --- | --- |');
  const rows: [string, string][] = [
    ['layers x width x heads', `${m.nLayer} x ${m.nEmbd} x ${m.nHead} (MLP ${m.nInner ?? 4 * m.nEmbd}, ${m.activation})`],
    ['parameters', numParameters(m).toLocaleString('en-US')],
    ['vocab / positions', `${m.vocabSize} (BOS = ${m.bosTokenId}) / ${m.nPositions}`],
    ['task / data', info ? `${info.task}: ${info.dataset}` : `${config.data.task} (${NOT_RECORDED})`],
    ['first token (BOS policy)', info?.firstToken ?? NOT_RECORDED],
    ['training seed', String(config.seed)],
    ['steps x batch', `${config.steps} x ${config.batchSize} x ${config.data.sequenceLength - 1} tokens (${((config.steps * config.batchSize * (config.data.sequenceLength - 1)) / 1e6).toFixed(2)} M tokens)`],
    ['optimizer', optimizerSummary(config)],
    ['schedule', scheduleSummary(config)],
    ['init', `N(0, ${config.initStd}); residual out-projections N(0, ${config.initStd} / sqrt(2 x ${m.nLayer}))`],
    ['engine', engineLine(info)],
    ['versions', info ? Object.entries(info.versions).map(([k, v]) => `${k} ${v}`).join(', ') : NOT_RECORDED],
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
    const heldOut = info ? `${info.heldOut.sequences} held-out sequences (fixed seed), T = ${info.heldOut.seqLen}` : `held-out set: ${NOT_RECORDED}`;
    lines.push(`${heldOut}. Sink_1: alpha_1 = mean over all T query rows of A[t, 0]; indicator alpha_1 > ${info?.sinkEps ?? '(eps not recorded)'} per sequence, averaged over sequences and heads.`, '');
    lines.push(`- loss ${last.loss.toFixed(4)} nats (training loss ${run.finalTrainLoss.toFixed(4)}, the mean over the last log window); copy-target accuracy ${last.copyAccuracy === null ? 'n/a' : last.copyAccuracy.toFixed(3)}`);
    lines.push(`- model Sink_1 ${pct(last.sinkRate)}`, '');
    lines.push('| layer | Sink_1 | mean alpha_1 per head |', '| --- | --- | --- |');
    for (let l = 0; l < L; l++) {
      const alphas = last.meanAlpha[l].length ? last.meanAlpha[l].map((a) => a.toFixed(3)).join(', ') : 'no attention';
      lines.push(`| ${l} | ${pct(last.perLayerSinkRate[l])} | ${alphas} |`);
    }
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
  lines.push('Every evaluation is in `eval.jsonl`, per-window training losses in `train-log.jsonl`, the exact config in `train-config.json`, the provenance in `run-info.json`.');
  const threadsFlag = info?.threads !== undefined ? ` --threads ${info.threads}` : '';
  lines.push(`Retrain with \`npx tsx packages/train/src/cli.ts --config <this folder>/train-config.json --out <folder>${threadsFlag}\`.`, '');
  if (run.appendix) lines.push(run.appendix.trimEnd(), '');
  return lines.join('\n');
}
