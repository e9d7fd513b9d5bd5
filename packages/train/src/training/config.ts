import type { BackendName } from '../engine/backend.js';
import { archOf, normaliseModelConfig, type ModelConfig } from '../model/config.js';
import { DEFAULT_ADAMW, PARAM_GROUPS, type AdamWConfig } from '../optim/adamw.js';
import type { ScheduleConfig } from '../optim/schedule.js';
import { BYTE_VOCAB_SIZE, TEXT_CORPORA, type TextCorpus } from '../data/text-source.js';
import type { FirstTokenPolicy } from './first-token.js';

/**
 * What every task's rows can be changed by (Gu et al. 2025, sec. 6, data distribution): the first
 * token(s), a token fixed at one position, and how many distinct training tokens the run sees.
 */
export interface RowPolicyConfig {
  /** Position 0: BOS (default), none, or random ordinary tokens (Gu et al. sec. 6). */
  readonly firstToken: FirstTokenPolicy;
  /** With `firstToken: "random"`: positions 0..n-1 are uniformly random ordinary tokens (default 1: one instead of BOS). */
  readonly randomFirstTokens: number;
  /** The same token at one position of every row (`{ position, token }`, after the first-token policy), or null. */
  readonly fixedToken: { readonly position: number; readonly token: number } | null;
  /**
   * Data amount: the training rows are the first ceil(n / (sequenceLength - 1)) rows of the unlimited
   * stream, repeated (each pass in a fresh seeded order); null = every row new.
   */
  readonly uniqueTokens: number | null;
}

/** Multi-offset back-copy data: the task and its rules are @sinkscope/datasets' backcopy.ts. */
export interface BackcopyDataConfig extends RowPolicyConfig {
  readonly task: 'backcopy';
  /** Seed of the world (triggers, bigram table); independent of the training seed. */
  readonly taskSeed: number;
  readonly numOrdinary: number;
  readonly offsets: readonly number[];
  readonly triggersPerGroup: number;
  readonly successorsPerToken: number;
  readonly triggerProb: number;
  /** Tokens per training/eval row including BOS; the model reads length - 1. */
  readonly sequenceLength: number;
  /** Size of the fixed held-out probe set. */
  readonly heldOutSequences: number;
}

/** Byte-level natural text from an npm-shipped corpus (issue 7, data option 2); see src/data/text-source.ts. */
export interface TextDataConfig extends RowPolicyConfig {
  readonly task: 'text';
  /** Which shipped corpus (via @sinkscope/datasets' SOURCES): documents joined with "\n\n", UTF-8 bytes. */
  readonly corpus: TextCorpus;
  /** Tokens per training/eval row including BOS; the model reads length - 1 bytes. */
  readonly sequenceLength: number;
  /** Size of the fixed held-out probe set (windows from the held-out tail). */
  readonly heldOutSequences: number;
  /** Share of the corpus bytes, at its end, kept out of training for the held-out set. */
  readonly heldOutShare: number;
}

/** The training data, chosen by `task`. */
export type DataConfig = BackcopyDataConfig | TextDataConfig;

/** Everything one training run needs; `normaliseTrainConfig` fills the recipe's defaults. */
export interface TrainConfig {
  readonly model: ModelConfig;
  readonly data: DataConfig;
  /** Seed of the init and the data order. */
  readonly seed: number;
  readonly batchSize: number;
  /** Total optimizer updates. */
  readonly steps: number;
  readonly schedule: ScheduleConfig;
  readonly optimizer: AdamWConfig;
  /** Std of the normal init (residual out-projections get initStd / sqrt(2 n_layer)). */
  readonly initStd: number;
  /** Evaluate on the held-out set every this many steps (and after the last). */
  readonly evalEvery: number;
  /** Save weights + optimizer state every this many steps (and after the last). */
  readonly checkpointEvery: number;
  /** Print a progress line every this many steps. */
  readonly logEvery: number;
  /**
   * `tfjs` (the reference; `backend` picks its backend) or `onnx`: model-io's forward traced into one
   * ONNX Runtime graph with its backward pass and the AdamW update (src/onnx/; GPT-2 layout and the
   * variants model-io's forward runs: RMSNorm, RoPE, sinusoidal or no positions).
   */
  readonly engine: TrainEngine;
  readonly backend: BackendName;
}

/** Which implementation runs the training steps and evaluations. */
export type TrainEngine = 'tfjs' | 'onnx';
export const TRAIN_ENGINES: readonly TrainEngine[] = ['tfjs', 'onnx'];

/** A config file: every field optional, nested objects partial. */
export type TrainConfigInput = Partial<Omit<TrainConfig, 'model' | 'data' | 'schedule' | 'optimizer'>> & {
  readonly model?: Partial<ModelConfig>;
  /** Without `task`, back-copy. */
  readonly data?: Partial<BackcopyDataConfig> | (Partial<TextDataConfig> & { readonly task: 'text' });
  readonly schedule?: Partial<ScheduleConfig>;
  readonly optimizer?: Partial<AdamWConfig>;
};

const DEFAULT_ROW_POLICY: RowPolicyConfig = { firstToken: 'bos', randomFirstTokens: 1, fixedToken: null, uniqueTokens: null };

const DEFAULT_DATA: BackcopyDataConfig = {
  task: 'backcopy',
  taskSeed: 0,
  numOrdinary: 64,
  offsets: [1, 2, 3, 4],
  triggersPerGroup: 3,
  successorsPerToken: 4,
  triggerProb: 0.15,
  sequenceLength: 65,
  heldOutSequences: 100,
  ...DEFAULT_ROW_POLICY,
};

const DEFAULT_TEXT_DATA: TextDataConfig = {
  task: 'text',
  corpus: 'moby-dick',
  sequenceLength: 65,
  heldOutSequences: 100,
  heldOutShare: 0.05,
  ...DEFAULT_ROW_POLICY,
};

const TASKS = ['backcopy', 'text'];

/** Ordinary (non-BOS) ids of the task's vocabulary; BOS is the id after them. */
export function numOrdinaryOf(data: DataConfig): number {
  return data.task === 'text' ? BYTE_VOCAB_SIZE : data.numOrdinary;
}

function normaliseData(where: string, input: TrainConfigInput['data']): DataConfig {
  const task = input?.task ?? 'backcopy';
  if (!TASKS.includes(task)) throw new Error(`${where}: data.task ${JSON.stringify(task)} is not supported (valid: ${TASKS.join(', ')})`);
  // The spread is checked field by field below (unknown keys, types, ranges).
  const data = (task === 'text' ? { ...DEFAULT_TEXT_DATA, ...input } : { ...DEFAULT_DATA, ...input }) as DataConfig;
  checkKeys(`${where} data`, data, Object.keys(task === 'text' ? DEFAULT_TEXT_DATA : DEFAULT_DATA));
  for (const key of ['sequenceLength', 'heldOutSequences'] as const) positiveInt(`${where} data`, key, data[key]);
  if (data.sequenceLength < 3) throw new Error(`${where}: data.sequenceLength ${data.sequenceLength} must be at least 3 (BOS + 2 tokens)`);
  if (!['bos', 'none', 'random'].includes(data.firstToken)) throw new Error(`${where}: data.firstToken ${JSON.stringify(data.firstToken)} must be one of bos, none, random`);
  positiveInt(`${where} data`, 'randomFirstTokens', data.randomFirstTokens);
  const modelLength = data.sequenceLength - (data.firstToken === 'none' ? 1 : 0); // tokens per row after the first-token policy
  if (data.randomFirstTokens >= modelLength) throw new Error(`${where}: data.randomFirstTokens ${data.randomFirstTokens} must be below the row length ${modelLength}`);
  if (data.fixedToken !== null) {
    const { position, token } = data.fixedToken ?? {};
    if (typeof data.fixedToken !== 'object' || !Number.isInteger(position) || position! < 0 || position! >= modelLength || !Number.isInteger(token) || token! < 0) {
      throw new Error(`${where}: data.fixedToken ${JSON.stringify(data.fixedToken)} must be { position: 0..${modelLength - 1}, token: an ordinary id } or null`);
    }
    checkKeys(`${where} data.fixedToken`, data.fixedToken, ['position', 'token']);
  }
  if (data.uniqueTokens !== null) positiveInt(`${where} data`, 'uniqueTokens', data.uniqueTokens);
  if (data.task === 'backcopy') positiveInt(`${where} data`, 'numOrdinary', data.numOrdinary);
  if (data.fixedToken !== null && data.fixedToken.token >= numOrdinaryOf(data)) throw new Error(`${where}: data.fixedToken.token ${data.fixedToken.token} must be an ordinary id below ${numOrdinaryOf(data)}`);
  if (data.task === 'text') {
    if (!TEXT_CORPORA.includes(data.corpus)) throw new Error(`${where}: data.corpus ${JSON.stringify(data.corpus)} must be one of ${TEXT_CORPORA.join(', ')}`);
    if (typeof data.heldOutShare !== 'number' || !(data.heldOutShare > 0 && data.heldOutShare < 1)) throw new Error(`${where}: data.heldOutShare ${JSON.stringify(data.heldOutShare)} must be a number in (0, 1)`);
  }
  return data;
}

const KNOWN_KEYS = ['model', 'data', 'seed', 'batchSize', 'steps', 'schedule', 'optimizer', 'initStd', 'evalEvery', 'checkpointEvery', 'logEvery', 'engine', 'backend', '$comment'];

function checkKeys(where: string, obj: object, known: readonly string[]): void {
  const unknown = Object.keys(obj).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new Error(`${where}: unknown field(s) ${unknown.map((k) => `'${k}'`).join(', ')}; valid: ${known.join(', ')}`);
}

function positiveInt(where: string, key: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${where}: '${key}' = ${JSON.stringify(v)} must be a positive integer`);
}

function checkOptimizer(where: string, o: AdamWConfig): void {
  if (!['matrices', 'all'].includes(o.decayOn)) throw new Error(`${where}: decayOn ${JSON.stringify(o.decayOn)} must be 'matrices' or 'all'`);
  for (const key of ['beta1', 'beta2'] as const) if (!(o[key] >= 0 && o[key] < 1)) throw new Error(`${where}: ${key} ${JSON.stringify(o[key])} must be in [0, 1)`);
  // float32 holds eps down to ~1.4e-45 (denormal); Adam eps 1e-15 is a tested recipe
  if (!(o.eps > 0 && Math.fround(o.eps) > 0)) throw new Error(`${where}: eps ${JSON.stringify(o.eps)} must be a positive number representable in float32`);
  if (!(o.weightDecay >= 0)) throw new Error(`${where}: weightDecay ${JSON.stringify(o.weightDecay)} must be >= 0`);
  if (typeof o.weightDecayByGroup !== 'object' || o.weightDecayByGroup === null) throw new Error(`${where}: weightDecayByGroup must be an object like { "embeddings": 0 }`);
  checkKeys(`${where}.weightDecayByGroup`, o.weightDecayByGroup, PARAM_GROUPS);
  for (const [group, v] of Object.entries(o.weightDecayByGroup)) if (!(typeof v === 'number' && v >= 0)) throw new Error(`${where}: weightDecayByGroup.${group} ${JSON.stringify(v)} must be a number >= 0`);
  if (!(o.clipNorm >= 0)) throw new Error(`${where}: clipNorm ${JSON.stringify(o.clipNorm)} must be >= 0`);
}

/** Fill defaults (the recipe) and validate; errors name the file and field. */
export function normaliseTrainConfig(input: TrainConfigInput, where = 'train config'): TrainConfig {
  checkKeys(where, input, KNOWN_KEYS);
  const data = normaliseData(where, input.data);
  const numOrdinary = numOrdinaryOf(data);
  const model = normaliseModelConfig(
    { vocabSize: numOrdinary + 1, bosTokenId: numOrdinary, eosTokenId: numOrdinary, nPositions: data.sequenceLength - 1, ...input.model },
    `${where} model`,
  );
  if (model.vocabSize !== numOrdinary + 1) throw new Error(`${where}: model.vocabSize ${model.vocabSize} must be the data's ${numOrdinary} ordinary ids + BOS = ${numOrdinary + 1}`);
  if (model.bosTokenId !== numOrdinary) throw new Error(`${where}: model.bosTokenId ${model.bosTokenId} must be the data's BOS id ${numOrdinary}`);
  if (model.nPositions < data.sequenceLength - 1) throw new Error(`${where}: model.nPositions ${model.nPositions} < data.sequenceLength - 1 = ${data.sequenceLength - 1}`);
  if (model.prefixLength >= data.sequenceLength - 1) throw new Error(`${where}: model.prefixLength ${model.prefixLength} leaves no position to predict after the prefix (the model reads ${data.sequenceLength - 1})`);
  try {
    archOf(model); // what the forward pass runs: a combination it cannot is refused here, before any work
  } catch (err) {
    throw new Error(`${where} model: ${(err as Error).message}`);
  }
  const steps = input.steps ?? 2000;
  const schedule: ScheduleConfig = { peakLr: 3e-3, warmupSteps: 100, decaySteps: steps, minLrRatio: 0.1, decay: 'cosine', ...input.schedule };
  const optimizer: AdamWConfig = { ...DEFAULT_ADAMW, ...input.optimizer };
  checkKeys(`${where} schedule`, schedule, ['peakLr', 'warmupSteps', 'decaySteps', 'minLrRatio', 'decay']);
  checkKeys(`${where} optimizer`, optimizer, Object.keys(DEFAULT_ADAMW));
  if (!['cosine', 'constant'].includes(schedule.decay)) throw new Error(`${where}: schedule.decay ${JSON.stringify(schedule.decay)} must be 'cosine' or 'constant'`);
  checkOptimizer(`${where} optimizer`, optimizer);
  const config: TrainConfig = {
    model,
    data,
    seed: input.seed ?? 1,
    batchSize: input.batchSize ?? 32,
    steps,
    schedule,
    optimizer,
    initStd: input.initStd ?? 0.02,
    evalEvery: input.evalEvery ?? 100,
    checkpointEvery: input.checkpointEvery ?? 200,
    logEvery: input.logEvery ?? 10,
    engine: input.engine ?? 'tfjs',
    backend: input.backend ?? 'wasm',
  };
  for (const key of ['batchSize', 'steps', 'evalEvery', 'checkpointEvery', 'logEvery'] as const) positiveInt(where, key, config[key]);
  if (!Number.isInteger(config.seed) || config.seed < 0) throw new Error(`${where}: 'seed' = ${config.seed} must be a non-negative integer`);
  if (!(config.schedule.peakLr > 0)) throw new Error(`${where}: schedule.peakLr must be > 0`);
  if (!TRAIN_ENGINES.includes(config.engine)) throw new Error(`${where}: engine ${JSON.stringify(config.engine)} must be one of ${TRAIN_ENGINES.join(', ')}`);
  if (!['wasm', 'cpu'].includes(config.backend)) throw new Error(`${where}: backend ${JSON.stringify(config.backend)} must be 'wasm' or 'cpu'`);
  return config;
}
