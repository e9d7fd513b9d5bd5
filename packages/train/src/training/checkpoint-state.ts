import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '@sinkscope/model-io';
import { loadModelValues, saveModelValues, writeJsonAtomic } from '../model/checkpoint.js';
import { createParams, parameterSpecs } from '../model/params.js';
import type { AdamWState } from '../optim/adamw.js';
import { byteLevelTokenizerConfigJson, byteLevelTokenizerJson, tokenizerConfigJson, wordLevelTokenizerJson } from '../model/tokenizer.js';
import { normaliseTrainConfig, type TrainConfig, type TrainConfigInput } from './config.js';
import { createTrainingEngine, type TrainingEngine } from './engine.js';
import { Trainer } from './trainer.js';

/** Folder (inside the output folder) with what resuming needs beyond the model. */
export const RESUME_DIR = 'resume';

/** Bookkeeping saved with every checkpoint (resume/state.json). */
export interface RunState {
  /** Updates completed. */
  readonly step: number;
  /** Wall-clock seconds spent in training and evaluation so far, over all sessions. */
  readonly trainSeconds: number;
  readonly config: TrainConfig;
}

/** What a checkpoint is written from (either engine's trainer). */
export type CheckpointSource = Pick<TrainingEngine, 'config' | 'step' | 'parameterValues' | 'optimizerState'>;

/**
 * Save the model as a Hugging Face gpt2 folder in `dir`, and the AdamW moments + state beside it
 * in `dir/resume/`. Each file is written atomically; the step is recorded in all three, so a save
 * interrupted between files is detected on resume.
 */
export function saveCheckpoint(dir: string, trainer: CheckpointSource, trainSeconds: number): void {
  const step = String(trainer.step);
  const { data } = trainer.config;
  // a model that never saw <bos> first (first-token policy none or random) gets no BOS from `auto`
  const bos = { bosFirst: data.firstToken === 'bos' };
  const values = trainer.parameterValues();
  saveModelValues(dir, trainer.config.model, values, {
    metadata: { step, producer: '@sinkscope/train' },
    jsonFiles:
      data.task === 'text'
        ? { 'tokenizer.json': byteLevelTokenizerJson(256, bos), 'tokenizer_config.json': byteLevelTokenizerConfigJson(trainer.config.model.nPositions, bos) }
        : { 'tokenizer.json': wordLevelTokenizerJson(data.numOrdinary, data.numOrdinary, bos), 'tokenizer_config.json': tokenizerConfigJson(bos) },
  });
  const resume = join(dir, RESUME_DIR);
  mkdirSync(resume, { recursive: true });
  const state = trainer.optimizerState();
  const tensors: TensorToWrite[] = [];
  for (const spec of parameterSpecs(trainer.config.model, trainer.config.initStd)) {
    tensors.push({ name: `m.${spec.name}`, shape: spec.shape, data: state.m.get(spec.name)! });
    tensors.push({ name: `v.${spec.name}`, shape: spec.shape, data: state.v.get(spec.name)! });
  }
  writeSafetensors(join(resume, 'optimizer.safetensors'), tensors, { step });
  const runState: RunState = { step: trainer.step, trainSeconds, config: trainer.config };
  writeJsonAtomic(join(resume, 'state.json'), runState);
}

/** resume/state.json with its config normalised (fields added since it was written get their defaults). */
export function readRunState(dir: string): RunState {
  const statePath = join(dir, RESUME_DIR, 'state.json');
  const raw = JSON.parse(readFileSync(statePath, 'utf8')) as { step: number; trainSeconds: number; config: TrainConfigInput };
  return { step: raw.step, trainSeconds: raw.trainSeconds, config: normaliseTrainConfig(raw.config, statePath) };
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, RESUME_DIR, 'state.json'));
}

/** A checkpoint's run state, parameter values and AdamW state, checked for consistency. */
export function readCheckpoint(dir: string): { state: RunState; values: Map<string, Float32Array>; optimizer: AdamWState } {
  const state = readRunState(dir);
  const { values, metadata: modelMetadata } = loadModelValues(dir);
  const optimizerPath = join(dir, RESUME_DIR, 'optimizer.safetensors');
  const { tensors, metadata } = readSafetensors(optimizerPath);
  if (metadata.step !== String(state.step) || modelMetadata.step !== String(state.step)) {
    throw new Error(`${dir}: checkpoint is inconsistent (state.json step ${state.step}, optimizer step ${metadata.step}, model step ${modelMetadata.step}); was a save interrupted?`);
  }
  const moments = { m: new Map<string, Float32Array>(), v: new Map<string, Float32Array>() };
  for (const spec of parameterSpecs(state.config.model, state.config.initStd)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    for (const kind of ['m', 'v'] as const) {
      const data = tensors.get(`${kind}.${spec.name}`)?.data;
      if (!(data instanceof Float32Array) || data.length !== n) throw new Error(`${optimizerPath}: ${kind} of '${spec.name}' is ${data ? `${data.length} values, expected ${n}` : 'missing'}`);
      moments[kind].set(spec.name, data);
    }
  }
  return { state, values, optimizer: { step: state.step, ...moments } };
}

/** Rebuild a tfjs trainer from `saveCheckpoint`'s files; the run continues exactly where it stopped. */
export function loadCheckpoint(dir: string): { trainer: Trainer; state: RunState } {
  const { state, values, optimizer } = readCheckpoint(dir);
  const trainer = new Trainer(state.config, createParams(parameterSpecs(state.config.model, state.config.initStd), values, join(dir, 'model.safetensors')));
  try {
    trainer.optimizer.importState(optimizer, join(dir, RESUME_DIR, 'optimizer.safetensors'));
    return { trainer, state };
  } catch (err) {
    trainer.dispose();
    throw err;
  }
}

/** Rebuild the trainer of the checkpoint's engine (`config.engine`); the run continues exactly where it stopped. */
export async function openCheckpoint(dir: string, options: { threads?: number } = {}): Promise<{ trainer: TrainingEngine; state: RunState }> {
  const { state, values, optimizer } = readCheckpoint(dir);
  return { trainer: await createTrainingEngine(state.config, { values, optimizer }, options), state };
}
