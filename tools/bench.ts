/**
 * `npm run bench [-- flags]`: extraction speed and memory of the forward engines on random-weight
 * checkpoints with the shapes of GPT-2 small (124M) and Pythia-410M (no downloads possible).
 *
 * Each run — the main extraction: every blocks.{l}.hook_resid_post, every blocks.{l}.attn.hook_pattern
 * and the logits, T = 64 — happens in its own child process, so its peak RSS is its own. Around each
 * run, ORT's MatMul 1024^3 on all cores is measured (before and after, averaged) as the machine's
 * float32 limit at that moment: the machine is shared, so ratios mean more than absolute figures.
 *
 * Flags: --models gpt2-small,pythia-410m  --engines onnx,streaming,tfjs  --sequences 100
 *        --tfjs-sequences 10 (tfjs-wasm is single-threaded and slow)  --tfjs-batch 10 (2 above 1 GiB of weights)  --seq-len 64
 *        --threads N  --batch N (default: chosen from the memory budget)  --dir <checkpoint cache>  --json
 * `npm run -s bench -- --json` keeps npm's banner off stdout. Streaming runs get 0.8 x the model's float32 size as memory budget (a model that does not fit).
 *
 * `npm run bench -- --train [--json] ...`: training speed (ms per step, tokens/s) of the tfjs and onnx
 * training engines instead; flags in packages/train/bench/train-bench.ts.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExtractionResult } from '../packages/model-io/bench/extract.js';
import { Checkpoint } from '../packages/model-io/src/checkpoint/checkpoint.js';
import { ensureRandomCheckpoint, parseBenchModel, type BenchModel } from '../packages/model-io/bench/random-checkpoint.js';
import { trainBench } from '../packages/train/bench/train-bench.js';

type BenchEngine = 'onnx' | 'streaming' | 'tfjs';
const BENCH_ENGINES: readonly BenchEngine[] = ['onnx', 'streaming', 'tfjs'];

interface EngineFigures {
  readonly tokensPerSecond: number;
  readonly gflops: number;
  readonly matmulPeakGflops: number;
  readonly ratioToPeak: number;
  readonly peakRssBytes: number;
  readonly sequences: number;
  readonly seqLen: number;
  readonly batchSize: number;
  readonly seconds: number;
  readonly loadSeconds: number;
  readonly float32WeightBytes: number;
  readonly capturedBytesPerBatch: number;
  readonly loadAverage: number;
  /** Streaming / onnx: the memory budget and each graph segment's batch size. */
  readonly memoryBudgetBytes?: number;
  readonly batchSizes?: readonly number[];
}

/** A run that failed (e.g. tfjs-wasm's 32-bit heap cannot hold Pythia-410M plus a batch): reported, not fatal. */
interface FailedRun {
  readonly error: string;
}

const root = resolve(fileURLToPath(import.meta.url), '../..');
const benchDir = join(root, 'packages/model-io/bench');

function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`bench: unexpected argument '${arg}' (flags: --models --engines --sequences --tfjs-sequences --tfjs-batch --seq-len --threads --batch --dir --json)`);
    const [name, inline] = arg.slice(2).split('=', 2);
    if (name === 'json') flags.set('json', '1');
    else flags.set(name, inline ?? argv[++i] ?? '');
  }
  const known = ['models', 'engines', 'sequences', 'tfjs-sequences', 'tfjs-batch', 'seq-len', 'threads', 'batch', 'dir', 'json'];
  for (const k of flags.keys()) if (!known.includes(k)) throw new Error(`bench: unknown flag --${k} (valid: ${known.map((f) => `--${f}`).join(', ')})`);
  return flags;
}

function positiveInt(flags: Map<string, string>, name: string, fallback: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bench: --${name} must be a positive integer, got '${raw}'`);
  return n;
}

/** Run a bench script in a fresh Node process (tsx loader) and parse the JSON line it prints last. */
function child<T>(script: string, args: readonly (string | number)[]): T {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, script), ...args.map(String)], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
  if (r.status !== 0 || !line) throw new Error(`bench: ${script} ${args.join(' ')} failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}):\n${r.stderr.slice(-3000)}`);
  return JSON.parse(line) as T;
}

function matmulPeak(threads: number): number {
  return child<{ matmulPeakGflops: number }>('matmul-peak.ts', [threads]).matmulPeakGflops;
}

function runEngine(engine: BenchEngine, dir: string, sequences: number, seqLen: number, threads: number, batch: number | undefined): EngineFigures {
  const load = loadavg()[0];
  const before = matmulPeak(threads);
  const r = child<ExtractionResult>('extract.ts', [engine, dir, sequences, seqLen, threads, ...(batch ? [batch] : [])]);
  const { memoryBudgetBytes, batchSizes } = r;
  const after = matmulPeak(threads);
  const limit = (before + after) / 2;
  const gflops = r.flops / r.seconds / 1e9;
  return {
    tokensPerSecond: r.tokens / r.seconds,
    gflops,
    matmulPeakGflops: limit,
    ratioToPeak: gflops / limit,
    peakRssBytes: r.peakRssBytes,
    sequences: r.sequences,
    seqLen: r.seqLen,
    batchSize: r.batchSize,
    seconds: r.seconds,
    loadSeconds: r.loadSeconds,
    float32WeightBytes: r.float32WeightBytes,
    capturedBytesPerBatch: r.capturedBytesPerBatch,
    loadAverage: (load + loadavg()[0]) / 2,
    ...(memoryBudgetBytes ? { memoryBudgetBytes } : {}),
    ...(batchSizes ? { batchSizes } : {}),
  };
}

const gb = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

function benchModel(model: BenchModel, flags: Map<string, string>, engines: readonly BenchEngine[], log: (line: string) => void): Record<string, unknown> {
  const sequences = positiveInt(flags, 'sequences', 100);
  const tfjsSequences = positiveInt(flags, 'tfjs-sequences', 10);
  const dir = ensureRandomCheckpoint(flags.get('dir') ?? join(tmpdir(), 'sinkscope-bench'), model);
  const ckpt = Checkpoint.open(dir);
  const weightBytes = ckpt.float32Bytes;
  ckpt.close();
  // tfjs-wasm keeps weights and activations in one 32-bit heap: Pythia-410M's 1.6 GB leaves room for ~2 sequences
  const tfjsBatch = positiveInt(flags, 'tfjs-batch', weightBytes > 2 ** 30 ? 2 : 10);
  const seqLen = positiveInt(flags, 'seq-len', 64);
  const threads = positiveInt(flags, 'threads', availableParallelism());
  const batch = flags.has('batch') ? positiveInt(flags, 'batch', 1) : undefined;
  log(`${model}: random weights in ${dir}; T = ${seqLen}; ${threads} threads; captures every hook_resid_post, every hook_pattern, logits`);
  log('  FLOPs = 2 x matmul params (q,k,v,o,MLP per block + LM head) x tokens + 2 x 2 x L x T x T x (H x hd) per sequence');
  const figures: Partial<Record<BenchEngine, EngineFigures>> = {};
  const failures: Partial<Record<BenchEngine, FailedRun>> = {};
  for (const engine of engines) {
    const n = engine === 'tfjs' ? Math.min(sequences, tfjsSequences) : sequences;
    let f: EngineFigures;
    try {
      f = runEngine(engine, dir, n, seqLen, threads, engine === 'tfjs' ? (batch ?? tfjsBatch) : batch);
    } catch (err) {
      const message = (err as Error).message;
      const reason = /RuntimeError: [^\n]*/.exec(message)?.[0] ?? message.split('\n')[0];
      failures[engine] = { error: reason };
      log(`  ${engine.padEnd(9)} FAILED: ${reason}`);
      continue;
    }
    figures[engine] = f;
    log(
      `  ${engine.padEnd(9)} ${f.tokensPerSecond.toFixed(0).padStart(5)} tok/s  ${f.gflops.toFixed(1).padStart(6)} GFLOP/s  ` +
        `MatMul limit ${f.matmulPeakGflops.toFixed(1)} GFLOP/s  ratio ${f.ratioToPeak.toFixed(2)}  peak RSS ${gb(f.peakRssBytes)}  ` +
        `(${f.sequences} seq, batch ${f.batchSize}, ${f.seconds.toFixed(1)} s + load ${f.loadSeconds.toFixed(1)} s, load avg ${f.loadAverage.toFixed(1)})` +
        (engine === 'tfjs' && n < sequences ? `  [tfjs: ${n} sequences, --tfjs-sequences]` : ''),
    );
  }
  const { onnx, streaming } = figures;
  if (onnx) log(`  goal onnx >= 0.75 of MatMul limit: ${onnx.ratioToPeak.toFixed(2)}; in-memory peak RSS ${gb(onnx.peakRssBytes)} vs 2 x weights + one batch's captures = ${gb(2 * onnx.float32WeightBytes + onnx.capturedBytesPerBatch)}`);
  if (onnx && streaming) {
    log(
      `  streaming (budget ${gb(streaming.memoryBudgetBytes ?? 0)}, batches per segment ${JSON.stringify(streaming.batchSizes)}): ` +
        `${((streaming.seconds / onnx.seconds - 1) * 100).toFixed(0)}% more time than in memory; peak RSS ${gb(streaming.peakRssBytes)}`,
    );
  }
  const head = onnx ?? Object.values(figures)[0];
  return {
    model,
    ...(head ? pick(head) : {}),
    engines: Object.fromEntries([...Object.entries(figures), ...Object.entries(failures)].filter(([e]) => e !== 'streaming')),
    ...(streaming ? { streaming } : failures.streaming ? { streaming: failures.streaming } : {}),
  };
}

function pick(f: EngineFigures) {
  const { tokensPerSecond, gflops, matmulPeakGflops, ratioToPeak, peakRssBytes } = f;
  return { tokensPerSecond, gflops, matmulPeakGflops, ratioToPeak, peakRssBytes };
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv.includes('--train')) {
    const rest = argv.filter((a) => a !== '--train');
    const json = rest.includes('--json');
    const result = trainBench(rest, json ? (line) => process.stderr.write(`${line}\n`) : (line) => console.log(line));
    if (json) console.log(JSON.stringify(result, null, 2));
    return;
  }
  const flags = parseFlags(argv);
  const models = (flags.get('models') ?? 'gpt2-small,pythia-410m').split(',').map((m) => parseBenchModel(m.trim()));
  const engines = (flags.get('engines') ?? 'onnx,streaming,tfjs').split(',').map((e) => {
    const name = e.trim() as BenchEngine;
    if (!BENCH_ENGINES.includes(name)) throw new Error(`bench: unknown engine '${e}' (valid: ${BENCH_ENGINES.join(', ')})`);
    return name;
  });
  const json = flags.has('json');
  const log = json ? (line: string) => process.stderr.write(`${line}\n`) : (line: string) => console.log(line);
  const results = models.map((m) => benchModel(m, flags, engines, log));
  if (json) {
    const [first] = results;
    console.log(JSON.stringify(results.length === 1 ? first : { ...first, models: Object.fromEntries(results.map((r) => [r.model, r])) }, null, 2));
  }
}

main();
