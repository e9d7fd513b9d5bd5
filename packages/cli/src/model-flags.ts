import { loadExtractionModel, parseBackend, parseBosPolicy, parseDevice, parseEngineChoice, type BosPolicy, type CheckpointLocation, type ExtractionModel, type OnnxLoadOptions } from '@sinkscope/model-io';
import { CliError } from './cli-error.js';
import { locateModelArg } from './model-path.js';
import { maxTokensOf, tokenInput, type TokenInput } from './token-input.js';

/** The ONNX Runtime flags every command that runs a model takes (ignored by the tfjs engine). */
export const ENGINE_FLAG_OPTIONS = {
  device: { type: 'string' },
  threads: { type: 'string' },
  'memory-budget': { type: 'string' },
  streaming: { type: 'string' },
} as const;

export const ENGINE_FLAGS_USAGE = '[--device cpu|gpu] [--threads N] [--memory-budget <GiB>] [--streaming auto|on|off]';

export function onnxOptions(values: { device?: string; threads?: string; 'memory-budget'?: string; streaming?: string }): OnnxLoadOptions {
  const out: { -readonly [K in keyof OnnxLoadOptions]?: OnnxLoadOptions[K] } = {};
  const device = values.device ?? process.env.SINKSCOPE_DEVICE;
  if (device) out.device = parseDevice(device);
  if (values.threads !== undefined) {
    const n = Number(values.threads);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`--threads must be a positive integer, got ${values.threads}`);
    out.threads = n;
  }
  if (values['memory-budget'] !== undefined) {
    const gib = Number(values['memory-budget']);
    if (!(gib > 0)) throw new CliError(`--memory-budget must be a positive number of GiB, got ${values['memory-budget']}`);
    out.memoryBudgetBytes = Math.round(gib * 2 ** 30);
  }
  if (values.streaming !== undefined) {
    const map: Record<string, boolean | 'auto'> = { auto: 'auto', on: true, off: false };
    if (!(values.streaming in map)) throw new CliError(`--streaming must be auto, on or off, got ${values.streaming}`);
    out.streaming = map[values.streaming];
  }
  return out;
}

/** The flags of every command that runs a model over token input (extract, measure). */
export const MODEL_INPUT_OPTIONS = {
  model: { type: 'string' },
  text: { type: 'string' },
  'token-ids': { type: 'string' },
  bos: { type: 'string', default: 'auto' },
  engine: { type: 'string', default: 'auto' },
  backend: { type: 'string' },
  ...ENGINE_FLAG_OPTIONS,
  'batch-size': { type: 'string', default: '8' },
} as const;

type ModelInputValues = Parameters<typeof onnxOptions>[0] & {
  model?: string;
  text?: string;
  'token-ids'?: string;
  bos?: string;
  engine?: string;
  backend?: string;
  'batch-size'?: string;
};

/** A model run as the flags say: the checkpoint folder, the loaded model (the caller disposes it), the BOS policy and batch size. */
export interface ModelRun {
  readonly dir: string;
  /** Where `--model` was found: a folder, the default model, or a Hugging Face cache snapshot. */
  readonly location: CheckpointLocation;
  readonly model: ExtractionModel;
  readonly bosPolicy: BosPolicy;
  readonly batchSize: number;
}

/** Check the flags and load the model (bad flags fail before the model loads). */
export async function loadModelRun(values: ModelInputValues): Promise<ModelRun> {
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new CliError(`--batch-size must be a positive integer, got ${values['batch-size']}`);
  const bosPolicy = parseBosPolicy(values.bos as string);
  const location = locateModelArg(values.model);
  const dir = location.dir;
  const model = await loadExtractionModel(dir, {
    engine: parseEngineChoice(values.engine as string),
    onnx: onnxOptions(values),
    ...(values.backend ? { backend: parseBackend(values.backend) } : {}),
  });
  return { dir, location, model, bosPolicy, batchSize };
}

/** The token input the flags name (`--text` through the model's tokenizer, or `--token-ids`). */
export function modelRunInput(values: ModelInputValues, run: ModelRun): Promise<TokenInput> {
  return tokenInput(run.dir, { text: values.text, tokenIds: values['token-ids'], bosPolicy: run.bosPolicy, bosTokenId: run.model.arch.bosTokenId, vocabSize: run.model.arch.vocabSize, maxTokens: maxTokensOf(run.model.arch) });
}
