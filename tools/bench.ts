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
 *        --memory-budget GiB (streaming)  --peer torch  --repeat N  --profile
 * `npm run -s bench -- --json` keeps npm's banner off stdout. Streaming runs get 0.8 x the model's float32 size as memory budget
 * (a model that does not fit), at most 6 GiB.
 *
 * `--models llama2-7b` (or `tinyllama-1.1b`): random BF16 checkpoints with those shapes, written on first use into the
 * checkpoint cache (13.5 GB / 2.2 GB; delete the folder afterwards), run with layer streaming only by default. Their line
 * gives the wall time against the arithmetic at the run's MatMul limit (FLOPs / limit), the time building graphs (weights
 * read, scanned for NaN/Inf and upcast by ORT) and in ORT's runs, bytes written and read, and peak RSS.
 *
 * `--profile`: the onnx engines also run with ORT's profiler and print kernel time per operator type (after ORT's
 * fusions: MatMul, FusedMatMul, FastGelu, ...) and how much of ORT's run time is kernels; profiling costs a little speed.
 *
 * `--peer torch`: the plain PyTorch eager forward of the same shape and captures (../shared/bench/torch_gpt2.py, Debian's
 * python3-torch through /usr/bin/python3 or $SINKSCOPE_PYTHON) runs beside the onnx engine, alternating with it `--repeat`
 * times (default 2; the machine may be shared), each pair printed with its load average and the ratio of tokens/s, both
 * end to end and over the forward passes only (the peer's clock starts after its weights exist and a warm-up batch ran,
 * so the like-for-like onnx figure leaves out building graphs and sessions).
 * gpt2-small and pythia-410m only; skipped with a note when torch is missing. Never part of the tests.
 *
 * `npm run bench -- --train [--json] ...`: training speed (ms per step, tokens/s) of the tfjs and onnx
 * training engines instead; flags in packages/train/bench/train-bench.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STREAMING_BUDGET_CAP, STREAMING_BUDGET_SHARE, type ExtractionResult } from '../packages/model-io/bench/extract.js';
import { Checkpoint } from '../packages/model-io/src/checkpoint/checkpoint.js';
import type { OrtProfileSummary } from '../packages/model-io/src/engines/onnx/ort-profile.js';
import { ensureRandomCheckpoint, parseBenchModel, type BenchModel } from '../packages/model-io/bench/random-checkpoint.js';
import { trainBench } from '../packages/train/bench/train-bench.js';

type BenchEngine = 'onnx' | 'streaming' | 'tfjs';
/** Models the PyTorch peer script knows (its `--model`). */
const PEER_MODELS: readonly BenchModel[] = ['gpt2-small', 'pythia-410m'];
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
  /** --profile: ORT's kernel time per operator type. */
  readonly profile?: OrtProfileSummary;
  /** Streaming / onnx: the memory budget and each graph segment's batch size. */
  readonly memoryBudgetBytes?: number;
  readonly batchSizes?: readonly number[];
  readonly graphSeconds?: number;
  readonly runSeconds?: number;
  readonly bytesWritten: number;
  readonly bytesRead: number;
}

/** One run of the PyTorch peer script. */
interface PeerFigures {
  readonly tokensPerSecond: number;
  readonly gflops: number;
  readonly seconds: number;
  readonly batch: number;
  readonly loadAverage: number;
}

/** A run that failed (e.g. tfjs-wasm's 32-bit heap cannot hold Pythia-410M plus a batch): reported, not fatal. */
interface FailedRun {
  readonly error: string;
}

const root = resolve(fileURLToPath(import.meta.url), '../..');
const benchDir = join(root, 'packages/model-io/bench');

const KNOWN_FLAGS = ['models', 'engines', 'sequences', 'tfjs-sequences', 'tfjs-batch', 'seq-len', 'threads', 'batch', 'dir', 'memory-budget', 'peer', 'repeat', 'profile', 'json'];

function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`bench: unexpected argument '${arg}' (flags: ${KNOWN_FLAGS.map((f) => `--${f}`).join(' ')})`);
    const [name, inline] = arg.slice(2).split('=', 2);
    if (name === 'json' || name === 'profile') flags.set(name, '1');
    else flags.set(name, inline ?? argv[++i] ?? '');
  }
  for (const k of flags.keys()) if (!KNOWN_FLAGS.includes(k)) throw new Error(`bench: unknown flag --${k} (valid: ${KNOWN_FLAGS.map((f) => `--${f}`).join(', ')}; --help explains them)`);
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
function child<T>(script: string, args: readonly (string | number)[], env: NodeJS.ProcessEnv = process.env): T {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, script), ...args.map(String)], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26, env });
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
  if (r.status !== 0 || !line) throw new Error(`bench: ${script} ${args.join(' ')} failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}):\n${r.stderr.slice(-3000)}`);
  return JSON.parse(line) as T;
}

function matmulPeak(threads: number): number {
  return child<{ matmulPeakGflops: number }>('matmul-peak.ts', [threads]).matmulPeakGflops;
}

function runEngine(engine: BenchEngine, dir: string, sequences: number, seqLen: number, threads: number, batch: number | undefined, budget: number | undefined, profile: boolean): EngineFigures {
  const load = loadavg()[0];
  const before = matmulPeak(threads);
  const env = profile && engine !== 'tfjs' ? { ...process.env, SINKSCOPE_BENCH_PROFILE: '1' } : process.env;
  const r = child<ExtractionResult>('extract.ts', [engine, dir, sequences, seqLen, threads, batch ?? 'auto', ...(budget ? [budget] : [])], env);
  const { memoryBudgetBytes, batchSizes, graphSeconds, runSeconds, bytesWritten, bytesRead, profile: ortProfile } = r;
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
    bytesWritten,
    bytesRead,
    ...(memoryBudgetBytes ? { memoryBudgetBytes } : {}),
    ...(batchSizes ? { batchSizes } : {}),
    ...(graphSeconds !== undefined ? { graphSeconds } : {}),
    ...(runSeconds !== undefined ? { runSeconds } : {}),
    ...(ortProfile ? { profile: ortProfile } : {}),
  };
}

const python = process.env.SINKSCOPE_PYTHON ?? '/usr/bin/python3';
const peerScript = join(root, '../shared/bench/torch_gpt2.py');

/** Why the PyTorch peer cannot run here, or undefined when it can. */
function peerMissing(): string | undefined {
  if (!existsSync(peerScript)) return `${peerScript} not found`;
  const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${python} cannot import torch (apt-get install python3-torch)`;
}

/**
 * torch's single-thread float32 matmul GFLOP/s (512 x 512 x 512): Debian's python3-torch multiplies through
 * whatever libblas.so.3 is installed, and the netlib reference BLAS (libblas3 without libopenblas0) is an
 * order of magnitude below ORT's MLAS, which would make the ratio meaningless.
 */
function peerMatmulGflops(): number {
  const probe = 'import time,torch;torch.set_num_threads(1);a=torch.randn(512,512);a@a;t=time.perf_counter();[a@a for _ in range(5)];print(5*2*512**3/(time.perf_counter()-t)/1e9)';
  const r = spawnSync(python, ['-c', probe], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : Number.NaN;
}

function runPeer(model: BenchModel, sequences: number, seqLen: number, threads: number, batch: number): PeerFigures {
  const load = loadavg()[0];
  const args = [peerScript, '--model', model, '--seqs', String(sequences), '--T', String(seqLen), '--batch', String(batch), '--threads', String(threads)];
  const r = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
  if (r.status !== 0 || !line) throw new Error(`bench: ${python} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr.slice(-3000)}`);
  const p = JSON.parse(line) as { tokensPerSecond: number; gflops: number; seconds: number };
  return { tokensPerSecond: p.tokensPerSecond, gflops: p.gflops, seconds: p.seconds, batch, loadAverage: (load + loadavg()[0]) / 2 };
}

/** Tokens/s of the forward passes alone: the extraction's wall time less building graphs and sessions. */
function forwardTokensPerSecond(f: EngineFigures): number {
  return (f.sequences * f.seqLen) / (f.seconds - (f.graphSeconds ?? 0));
}

const gb = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

/** Engines a model runs when --engines is not given: the BF16 llama shapes do not fit in memory as float32, so streaming only. */
function defaultEngines(model: BenchModel): BenchEngine[] {
  return model === 'llama2-7b' || model === 'tinyllama-1.1b' ? ['streaming'] : ['onnx', 'streaming', 'tfjs'];
}

function benchModel(model: BenchModel, flags: Map<string, string>, log: (line: string) => void): Record<string, unknown> {
  const engines = flags.has('engines') ? parseEngines(flags.get('engines')!) : defaultEngines(model);
  const sequences = positiveInt(flags, 'sequences', 100);
  const tfjsSequences = positiveInt(flags, 'tfjs-sequences', 10);
  const repeat = positiveInt(flags, 'repeat', flags.has('peer') ? 2 : 1);
  const dir = ensureRandomCheckpoint(flags.get('dir') ?? join(tmpdir(), 'sinkscope-bench'), model);
  const ckpt = Checkpoint.open(dir);
  const weightBytes = ckpt.float32Bytes;
  ckpt.close();
  // tfjs-wasm keeps weights and activations in one 32-bit heap: Pythia-410M's 1.6 GB leaves room for ~2 sequences
  const tfjsBatch = positiveInt(flags, 'tfjs-batch', weightBytes > 2 ** 30 ? 2 : 10);
  const seqLen = positiveInt(flags, 'seq-len', 64);
  const threads = positiveInt(flags, 'threads', availableParallelism());
  const batch = flags.has('batch') ? positiveInt(flags, 'batch', 1) : undefined;
  const budgetGiB = flags.has('memory-budget') ? Number(flags.get('memory-budget')) : undefined;
  if (budgetGiB !== undefined && !(budgetGiB > 0)) throw new Error(`bench: --memory-budget must be a positive number of GiB, got '${flags.get('memory-budget')}'`);
  const streamingBudget = Math.floor(budgetGiB !== undefined ? budgetGiB * 2 ** 30 : Math.min(STREAMING_BUDGET_CAP, STREAMING_BUDGET_SHARE * weightBytes));
  const peer = flags.get('peer');
  const profile = flags.has('profile');
  if (peer !== undefined && peer !== 'torch') throw new Error(`bench: --peer must be 'torch', got '${peer}'`);
  const peerSkip = peer === undefined ? undefined : !PEER_MODELS.includes(model) ? `no peer script for ${model}` : !engines.includes('onnx') ? 'the peer runs beside the onnx engine (--engines onnx)' : peerMissing();
  log(`${model}: random weights in ${dir}; T = ${seqLen}; ${threads} threads; captures every hook_resid_post, every hook_pattern, logits`);
  log('  FLOPs = 2 x matmul params (q,k,v,o,MLP per block + LM head) x tokens + 2 x 2 x L x T x T x (H x hd) per sequence');
  if (peer && peerSkip) log(`  peer torch: skipped (${peerSkip})`);
  if (peer && !peerSkip) {
    const torchGflops = peerMatmulGflops();
    const ortGflops = matmulPeak(1);
    const slowBlas = !(torchGflops >= 0.5 * ortGflops);
    log(`  peer torch: 1-thread matmul ${torchGflops.toFixed(1)} GFLOP/s vs ORT's ${ortGflops.toFixed(1)}` + (slowBlas ? ' -- torch multiplies through a slow BLAS here (the reference libblas3? apt-get install libopenblas0-pthread), so the ratio says little' : ''));
  }
  const figures: Partial<Record<BenchEngine, EngineFigures>> = {};
  const failures: Partial<Record<BenchEngine, FailedRun>> = {};
  const pairs: { onnx: EngineFigures; torch: PeerFigures; ratio: number; forwardRatio: number }[] = [];
  for (let round = 0; round < repeat; round++) {
    for (const engine of engines) {
      const n = engine === 'tfjs' ? Math.min(sequences, tfjsSequences) : sequences;
      let f: EngineFigures;
      try {
        f = runEngine(engine, dir, n, seqLen, threads, engine === 'tfjs' ? (batch ?? tfjsBatch) : batch, engine === 'streaming' ? streamingBudget : undefined, profile);
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
      if (engine === 'onnx' && f.graphSeconds !== undefined && f.runSeconds !== undefined) {
        // where the wall time goes: graphs built (weights mapped, ORT session created), ORT's runs, and
        // the rest (feeds, handing captures over, collections between batches)
        const rest = f.seconds - f.graphSeconds - f.runSeconds;
        log(`            graphs ${f.graphSeconds.toFixed(1)} s, ORT runs ${f.runSeconds.toFixed(1)} s (${((f.gflops * f.seconds) / f.runSeconds).toFixed(1)} GFLOP/s), rest ${rest.toFixed(1)} s`);
      }
      if (f.profile) {
        // ORT's own clock: how much of its runs is kernels, and which operators (after its fusions) take it
        const p = f.profile;
        log(
          `            ORT profile: kernels ${p.kernelSeconds.toFixed(2)} s of ${p.runSeconds.toFixed(2)} s in runs, sessions created in ${p.sessionInitSeconds.toFixed(2)} s; ` +
            p.operators
              .slice(0, 8)
              .map((o) => `${o.op} ${(100 * o.share).toFixed(1)}% (${o.nodes} nodes)`)
              .join(', '),
        );
      }
      if (engine === 'streaming' && (f.graphSeconds !== undefined || f.runSeconds !== undefined)) {
        const arithmetic = (f.gflops * f.seconds) / f.matmulPeakGflops; // FLOPs / limit
        log(
          `            wall ${f.seconds.toFixed(1)} s = ${(f.seconds / arithmetic).toFixed(2)} x the arithmetic at the MatMul limit (${arithmetic.toFixed(1)} s); ` +
            `graphs ${(f.graphSeconds ?? 0).toFixed(1)} s, ORT runs ${(f.runSeconds ?? 0).toFixed(1)} s, load ${f.loadSeconds.toFixed(1)} s; ` +
            `written ${gb(f.bytesWritten)}, read ${gb(f.bytesRead)}; budget ${gb(f.memoryBudgetBytes ?? 0)}, batches ${JSON.stringify(f.batchSizes)}`,
        );
      }
      if (engine === 'onnx' && peer && !peerSkip) {
        const t = runPeer(model, n, seqLen, threads, f.batchSize);
        const ratio = f.tokensPerSecond / t.tokensPerSecond;
        // the peer script times its forward passes only (weights made and one warm-up batch run before its
        // clock starts); the like-for-like onnx figure leaves out building the graph and session the same way
        const forward = forwardTokensPerSecond(f);
        const forwardRatio = forward / t.tokensPerSecond;
        pairs.push({ onnx: f, torch: t, ratio, forwardRatio });
        log(
          `  torch     ${t.tokensPerSecond.toFixed(0).padStart(5)} tok/s  ${t.gflops.toFixed(1).padStart(6)} GFLOP/s  (batch ${t.batch}, ${t.seconds.toFixed(1)} s, load avg ${t.loadAverage.toFixed(1)})  ` +
            `onnx / torch = ${ratio.toFixed(2)} end to end, ${forwardRatio.toFixed(2)} forward passes only (${forward.toFixed(0)} tok/s, as the peer times itself)`,
        );
      }
    }
  }
  const { onnx, streaming } = figures;
  if (onnx) log(`  goal onnx >= 0.85 of MatMul limit (issue 18): ${onnx.ratioToPeak.toFixed(2)}; in-memory peak RSS ${gb(onnx.peakRssBytes)} vs 2 x weights + one batch's captures = ${gb(2 * onnx.float32WeightBytes + onnx.capturedBytesPerBatch)}`);
  if (onnx && streaming) {
    log(
      `  streaming (budget ${gb(streaming.memoryBudgetBytes ?? 0)}, batches per segment ${JSON.stringify(streaming.batchSizes)}): ` +
        `${((streaming.seconds / onnx.seconds - 1) * 100).toFixed(0)}% more time than in memory; peak RSS ${gb(streaming.peakRssBytes)}`,
    );
  }
  if (pairs.length > 0) {
    log(
      `  onnx / torch over ${pairs.length} alternating pairs: end to end ${pairs.map((p) => p.ratio.toFixed(2)).join(', ')}; ` +
        `forward passes only ${pairs.map((p) => p.forwardRatio.toFixed(2)).join(', ')} (goal >= 1.15, issue 18)`,
    );
  }
  const head = onnx ?? Object.values(figures)[0];
  return {
    model,
    ...(head ? pick(head) : {}),
    engines: Object.fromEntries([...Object.entries(figures), ...Object.entries(failures)].filter(([e]) => e !== 'streaming')),
    ...(streaming ? { streaming } : failures.streaming ? { streaming: failures.streaming } : {}),
    ...(pairs.length > 0
      ? {
          peer: pairs.map((p) => ({
            onnxTokensPerSecond: p.onnx.tokensPerSecond,
            onnxForwardTokensPerSecond: forwardTokensPerSecond(p.onnx),
            torchTokensPerSecond: p.torch.tokensPerSecond,
            ratio: p.ratio,
            forwardRatio: p.forwardRatio,
            loadAverage: (p.onnx.loadAverage + p.torch.loadAverage) / 2,
          })),
        }
      : {}),
  };
}

function parseEngines(list: string): BenchEngine[] {
  return list.split(',').map((e) => {
    const name = e.trim() as BenchEngine;
    if (!BENCH_ENGINES.includes(name)) throw new Error(`bench: unknown engine '${e}' (valid: ${BENCH_ENGINES.join(', ')})`);
    return name;
  });
}

function pick(f: EngineFigures) {
  const { tokensPerSecond, gflops, matmulPeakGflops, ratioToPeak, peakRssBytes } = f;
  return { tokensPerSecond, gflops, matmulPeakGflops, ratioToPeak, peakRssBytes };
}

/** `--help`: this file's header comment. */
function usage(): string {
  const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  const header = /^\/\*\*\n([\s\S]*?)\n \*\//.exec(source)?.[1] ?? '';
  return header
    .split('\n')
    .map((line) => line.replace(/^ \* ?/, ''))
    .join('\n');
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
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage());
    return;
  }
  const flags = parseFlags(argv);
  const models = (flags.get('models') ?? 'gpt2-small,pythia-410m').split(',').map((m) => parseBenchModel(m.trim()));
  if (flags.has('engines')) parseEngines(flags.get('engines')!); // a typo fails before any checkpoint is written
  const json = flags.has('json');
  const log = json ? (line: string) => process.stderr.write(`${line}\n`) : (line: string) => console.log(line);
  const results = models.map((m) => benchModel(m, flags, log));
  if (json) {
    const [first] = results;
    console.log(JSON.stringify(results.length === 1 ? first : { ...first, models: Object.fromEntries(results.map((r) => [r.model, r])) }, null, 2));
  }
}

main();
