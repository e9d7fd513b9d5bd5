import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { normaliseTrainConfig, type TrainConfigInput } from './training/config.js';
import { rewriteModelCard, runTraining } from './training/run.js';

const USAGE = `usage: tsx packages/train/src/cli.ts --config <train.json> --out <folder> [--resume] [--steps N] [--seed N] [--engine tfjs|onnx] [--threads N] [--card-appendix <file.md>]
       tsx packages/train/src/cli.ts --card --out <folder> [--card-appendix <file.md>]     (rewrite the README.md model card only)

Trains a GPT-2-layout model on the back-copy task (or byte-level text) with TensorFlow.js (--engine tfjs,
the default and reference) or ONNX Runtime (--engine onnx: model-io's forward, its backward graph and
AdamW in one ORT session per step, several times faster) and writes a Hugging Face gpt2
folder (config.json, model.safetensors, tokenizer.json), eval.jsonl, train-log.jsonl, a README.md
model card, and resume/ (optimizer state) to --out. Progress goes to stderr.
--threads: ORT's threads for --engine onnx (default every core); 1 makes reruns bit-identical, more are
faster but may add partial sums in another order from run to run.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'boolean', default: false },
      steps: { type: 'string' },
      seed: { type: 'string' },
      engine: { type: 'string' },
      threads: { type: 'string' },
      card: { type: 'boolean', default: false },
      'card-appendix': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const appendixPath = values['card-appendix'];
  let cardAppendix: string | undefined;
  if (appendixPath !== undefined) {
    try {
      cardAppendix = readFileSync(appendixPath, 'utf8');
    } catch (err) {
      throw new Error(`cannot read --card-appendix ${appendixPath}: ${(err as Error).message}`);
    }
  }
  if (values.card) {
    if (!values.out) throw new Error(`--card needs --out <folder>\n${USAGE}`);
    rewriteModelCard(values.out, cardAppendix);
    return;
  }
  if (!values.config || !values.out) throw new Error(`--config and --out are required\n${USAGE}`);
  let input: TrainConfigInput;
  try {
    input = JSON.parse(readFileSync(values.config, 'utf8')) as TrainConfigInput;
  } catch (err) {
    throw new Error(`cannot read config ${values.config}: ${(err as Error).message}`);
  }
  const overrides: Record<string, number> = {};
  for (const key of ['steps', 'seed'] as const) {
    const raw = values[key];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new Error(`--${key} ${raw} is not an integer`);
    overrides[key] = n;
  }
  const engine = values.engine === undefined ? {} : { engine: values.engine as TrainConfigInput['engine'] };
  const config = normaliseTrainConfig({ ...input, ...overrides, ...engine }, values.engine === undefined ? values.config : `${values.config} (with --engine)`);
  let threads: number | undefined;
  if (values.threads !== undefined) {
    threads = Number(values.threads);
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads ${values.threads} is not a positive integer`);
    if (config.engine !== 'onnx') throw new Error('--threads applies to --engine onnx (the tfjs engine runs on its backend)');
  }
  await runTraining(config, { outDir: values.out, resume: values.resume, cardAppendix, ...(threads !== undefined ? { threads } : {}) });
}

main().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
