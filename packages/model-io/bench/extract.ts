/**
 * One benchmark run in its own process (so its peak RSS is its own): load a checkpoint with one
 * engine, run the main extraction (every hook_resid_post, every hook_pattern, logits) over random
 * token ids, drop the captures as a writer would after writing them, print one JSON line.
 * Usage: tsx extract.ts <onnx|streaming|tfjs> <checkpoint dir> <sequences> <seqLen> <threads> [batchSize|auto] [memoryBudgetBytes]
 * With SINKSCOPE_BENCH_PROFILE=1 (bench --profile), the onnx engines also profile ORT's sessions and report kernel time per operator.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceUsage } from 'node:process';
import { SeededRandom } from '@sinkscope/datasets';
import { Checkpoint } from '../src/checkpoint/checkpoint.js';
import type { HookName } from '../src/hooks.js';
import type { OrtProfileSummary } from '../src/engines/onnx/ort-profile.js';
import { extractionFlops } from './flops.js';

/** Streaming runs get this share of the model's float32 size as their memory budget (at most STREAMING_BUDGET_CAP). */
export const STREAMING_BUDGET_SHARE = 0.8;
/** Bytes: the most a streaming run's budget is by default (Llama-2-7B: 6 GiB, as `--memory-budget 6` in issue 18). */
export const STREAMING_BUDGET_CAP = 6 * 2 ** 30;

export interface ExtractionResult {
  readonly engine: string;
  readonly sequences: number;
  readonly seqLen: number;
  readonly batchSize: number;
  readonly tokens: number;
  /** Seconds of the extraction: graph/session builds included, checkpoint header checks (load) not. */
  readonly seconds: number;
  readonly loadSeconds: number;
  readonly flops: number;
  readonly float32WeightBytes: number;
  /** Bytes of captures one batch hands over (what a writer holds at once). */
  readonly capturedBytesPerBatch: number;
  readonly capturedBytesTotal: number;
  readonly peakRssBytes: number;
  /** What the process wrote and read through system calls (/proc/self/io wchar, rchar): temporary files, checkpoint reads. */
  readonly bytesWritten: number;
  readonly bytesRead: number;
  /** Streaming / onnx: the memory budget given, and the batch size of each graph segment. */
  readonly memoryBudgetBytes?: number;
  readonly batchSizes?: readonly number[];
  /** onnx / streaming: seconds building graphs (weights read, scanned and folded by ORT) and in ORT's runs. */
  readonly graphSeconds?: number;
  readonly runSeconds?: number;
  /** onnx / streaming with SINKSCOPE_BENCH_PROFILE=1: ORT's profile of every session, per operator type. */
  readonly profile?: OrtProfileSummary;
}

/** The process's I/O counters (Linux; zeros elsewhere). */
function ioCounters(): { bytesWritten: number; bytesRead: number } {
  try {
    const io = Object.fromEntries(readFileSync('/proc/self/io', 'utf8').trim().split('\n').map((l) => l.split(': ')));
    return { bytesWritten: Number(io.wchar), bytesRead: Number(io.rchar) };
  } catch {
    return { bytesWritten: 0, bytesRead: 0 };
  }
}

/** Seeded token ids in [0, vocab), the same on every run. */
function randomSequences(count: number, seqLen: number, vocab: number): number[][] {
  const rng = new SeededRandom(12345);
  return Array.from({ length: count }, () => Array.from({ length: seqLen }, () => rng.nextInt(vocab)));
}

async function main(): Promise<void> {
  const [engine, dir, sequencesArg, seqLenArg, threadsArg, batchArgRaw, budgetArg] = process.argv.slice(2);
  const batchArg = batchArgRaw === 'auto' ? undefined : batchArgRaw;
  const sequencesCount = Number(sequencesArg);
  const seqLen = Number(seqLenArg);
  const threads = Number(threadsArg);
  const ckpt = Checkpoint.open(dir);
  const arch = ckpt.arch;
  const float32WeightBytes = ckpt.float32Bytes;
  ckpt.close();
  const capture: HookName[] = [
    ...Array.from({ length: arch.nLayers }, (_, l) => `blocks.${l}.hook_resid_post` as HookName),
    ...Array.from({ length: arch.nLayers }, (_, l) => `blocks.${l}.attn.hook_pattern` as HookName),
    'logits',
  ];
  const sequences = randomSequences(sequencesCount, seqLen, arch.vocabSize);
  let capturedBytesPerBatch = 0;
  let capturedBytesTotal = 0;
  const count = (outputs: Map<HookName, { data: Float32Array }>) => {
    let bytes = 0;
    for (const v of outputs.values()) bytes += v.data.byteLength;
    capturedBytesTotal += bytes;
    return bytes;
  };
  let batchSize: number;
  let extra: Pick<ExtractionResult, 'memoryBudgetBytes' | 'batchSizes' | 'graphSeconds' | 'runSeconds' | 'profile'> = {};
  let loadSeconds: number;
  let seconds: number;
  if (engine === 'tfjs') {
    const { TfjsModel } = await import('../src/engines/tfjs/tfjs-model.js');
    const t0 = performance.now();
    const model = await TfjsModel.load(dir, { backend: 'wasm' });
    loadSeconds = (performance.now() - t0) / 1000;
    batchSize = Number(batchArg ?? 10);
    const t1 = performance.now();
    for (let start = 0; start < sequences.length; start += batchSize) {
      capturedBytesPerBatch = Math.max(capturedBytesPerBatch, count(model.run(sequences.slice(start, start + batchSize), { capture })));
    }
    seconds = (performance.now() - t1) / 1000;
    model.dispose();
  } else {
    const { OnnxModel, summariseOrtProfiles } = await import('../src/engines/onnx/index.js'); // never loads tfjs
    const profileDir = process.env.SINKSCOPE_BENCH_PROFILE === '1' ? mkdtempSync(join(tmpdir(), 'sinkscope-ort-profile-')) : undefined;
    const t0 = performance.now();
    const streaming = engine === 'streaming';
    const model = await OnnxModel.load(dir, {
      threads,
      streaming,
      ...(profileDir !== undefined ? { profilePrefix: join(profileDir, 'ort') } : {}),
      // streaming: a budget below the model's size, as for a model that does not quite fit
      ...(budgetArg ? { memoryBudgetBytes: Number(budgetArg) } : streaming ? { memoryBudgetBytes: Math.floor(Math.min(STREAMING_BUDGET_CAP, STREAMING_BUDGET_SHARE * float32WeightBytes)) } : {}),
    });
    loadSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const perStage = new Map<number, number>();
    const summary = await model.runMany(sequences, {
      capture,
      ...(batchArg ? { batchSize: Number(batchArg) } : {}),
      onBatch: (b) => {
        perStage.set(b.start, (perStage.get(b.start) ?? 0) + count(b.outputs));
      },
    });
    seconds = (performance.now() - t1) / 1000;
    batchSize = summary.batchSize;
    extra = { memoryBudgetBytes: model.memoryBudgetBytes, batchSizes: summary.batchSizes, graphSeconds: summary.graphSeconds, runSeconds: summary.runSeconds };
    capturedBytesPerBatch = Math.max(...perStage.values());
    if (streaming) capturedBytesPerBatch = Math.round(capturedBytesPerBatch / (arch.nLayers + 1)); // one stage's share
    await model.dispose(); // releasing the sessions writes their profiles
    if (profileDir !== undefined) {
      const files = readdirSync(profileDir).map((f) => join(profileDir, f));
      extra = { ...extra, profile: summariseOrtProfiles(files) };
      rmSync(profileDir, { recursive: true, force: true });
    }
  }
  const result: ExtractionResult = {
    engine,
    sequences: sequencesCount,
    seqLen,
    batchSize,
    tokens: sequencesCount * seqLen,
    seconds,
    loadSeconds,
    flops: extractionFlops(arch, sequencesCount, seqLen),
    float32WeightBytes,
    capturedBytesPerBatch,
    capturedBytesTotal,
    peakRssBytes: resourceUsage().maxRSS * 1024,
    ...ioCounters(),
    ...extra,
  };
  console.log(JSON.stringify(result));
}

if (process.argv[1]?.endsWith('extract.ts')) await main();
