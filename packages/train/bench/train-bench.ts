/**
 * `npm run bench -- --train [flags]`: training speed of both engines on the default recipe (2 x 128,
 * 4 heads, batch 32 x 64, vocab 65) and on a 4 x 256 model, each measurement in its own process
 * (`train-step.ts`). Around each, ORT's MatMul 1024^3 on the same threads is measured before and after
 * (averaged) as the machine's float32 limit at that moment, with the load average: the machine is
 * shared, so ratios and the load say more than absolute figures.
 *
 * Flags: --engines onnx,tfjs  --train-models default,4x256  --steps 30 (onnx)  --tfjs-steps 5
 *        --repeat 1 (repeat each measurement; the median run is reported, all runs are kept)
 *        --threads N (default: every core)  --spin (ORT's idle threads spin; default: they sleep)  --json
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TRAIN_BENCH_MODELS, type TrainBenchModel, type TrainStepResult } from './train-step.js';

const root = resolve(fileURLToPath(import.meta.url), '../../../..');
const FLAGS = ['engines', 'train-models', 'steps', 'tfjs-steps', 'repeat', 'threads', 'spin', 'json'];

function parse(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`bench --train: unexpected argument '${arg}'`);
    const [name, inline] = arg.slice(2).split('=', 2);
    if (!FLAGS.includes(name)) throw new Error(`bench --train: unknown flag --${name} (valid: --train ${FLAGS.map((f) => `--${f}`).join(' ')})`);
    if (name === 'json' || name === 'spin') flags.set(name, '1');
    else flags.set(name, inline ?? argv[++i] ?? '');
  }
  return flags;
}

function count(flags: Map<string, string>, name: string, fallback: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bench --train: --${name} must be a positive integer, got '${raw}'`);
  return n;
}

function child<T>(script: string, args: readonly (string | number)[]): T {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, script), ...args.map(String)], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
  if (r.status !== 0 || !line) throw new Error(`bench --train: ${script} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr.slice(-3000)}`);
  return JSON.parse(line) as T;
}

const matmulPeak = (threads: number) => child<{ matmulPeakGflops: number }>('packages/model-io/bench/matmul-peak.ts', [threads]).matmulPeakGflops;

export interface TrainEngineFigures extends TrainStepResult {
  readonly matmulPeakGflops: number;
  readonly threads: number;
  readonly spinning: boolean;
  /** Every repetition's median ms per step, in run order. */
  readonly runsMsPerStep: readonly number[];
}

export function trainBench(argv: readonly string[], log: (line: string) => void): Record<string, unknown> {
  const flags = parse(argv);
  const engines = (flags.get('engines') ?? 'onnx,tfjs').split(',').map((e) => e.trim());
  for (const e of engines) if (e !== 'onnx' && e !== 'tfjs') throw new Error(`bench --train: unknown engine '${e}' (valid: onnx, tfjs)`);
  const models = (flags.get('train-models') ?? TRAIN_BENCH_MODELS.join(',')).split(',').map((m) => m.trim() as TrainBenchModel);
  for (const m of models) if (!TRAIN_BENCH_MODELS.includes(m)) throw new Error(`bench --train: unknown model '${m}' (valid: ${TRAIN_BENCH_MODELS.join(', ')})`);
  const threads = count(flags, 'threads', availableParallelism());
  const repeat = count(flags, 'repeat', 1);
  const spinning = flags.has('spin');
  const results: Record<string, { engines: Record<string, TrainEngineFigures | { error: string }> }> = {};
  log(`training speed: ${threads} threads${spinning ? ' (ORT threads spinning)' : ''}; median step of ${count(flags, 'steps', 30)} (onnx) / ${count(flags, 'tfjs-steps', 5)} (tfjs) after 2 warm-up steps`);
  for (const model of models) {
    results[model] = { engines: {} };
    for (const engine of engines) {
      const steps = engine === 'onnx' ? count(flags, 'steps', 30) : count(flags, 'tfjs-steps', 5);
      try {
        const runs: { r: TrainStepResult; peak: number }[] = [];
        for (let i = 0; i < repeat; i++) {
          const before = matmulPeak(threads);
          const r = child<TrainStepResult>('packages/train/bench/train-step.ts', [engine, model, steps, threads, spinning ? 'spin' : 'nospin']);
          const peak = (before + matmulPeak(threads)) / 2;
          runs.push({ r, peak });
        }
        const sorted = [...runs].sort((a, b) => a.r.msPerStep - b.r.msPerStep);
        const { r, peak } = sorted[Math.floor(sorted.length / 2)];
        const f: TrainEngineFigures = { ...r, matmulPeakGflops: peak, threads, spinning, runsMsPerStep: runs.map((x) => x.r.msPerStep) };
        results[model].engines[engine] = f;
        log(
          `  ${model.padEnd(7)} ${engine.padEnd(5)} ${f.msPerStep.toFixed(1).padStart(7)} ms/step (min ${f.minMsPerStep.toFixed(1)})  ${Math.round(f.tokensPerSecond).toLocaleString('en-US').padStart(7)} tok/s  ` +
            `MatMul peak ${f.matmulPeakGflops.toFixed(0)} GFLOP/s  load avg ${f.loadAverage.toFixed(1)}  setup ${f.setupSeconds.toFixed(1)} s` +
            (repeat > 1 ? `  runs ${f.runsMsPerStep.map((x) => x.toFixed(0)).join(' / ')} ms` : ''),
        );
      } catch (err) {
        const error = (err as Error).message.split('\n')[0];
        results[model].engines[engine] = { error };
        log(`  ${model.padEnd(7)} ${engine.padEnd(5)} FAILED: ${error}`);
      }
    }
    const { onnx, tfjs } = results[model].engines as Record<string, TrainEngineFigures | undefined>;
    if (onnx?.msPerStep && tfjs?.msPerStep) log(`  ${model}: onnx ${(tfjs.msPerStep / onnx.msPerStep).toFixed(1)}x faster than tfjs`);
  }
  return { train: { threads, spinning, loadAverageAtEnd: loadavg()[0], models: results } };
}
