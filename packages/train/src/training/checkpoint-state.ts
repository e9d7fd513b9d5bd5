import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '@sinkscope/model-io';
import { loadModelFolder, saveModelFolder, writeJsonAtomic } from '../model/checkpoint.js';
import { byteLevelTokenizerConfigJson, byteLevelTokenizerJson, tokenizerConfigJson, wordLevelTokenizerJson } from '../model/tokenizer.js';
import { normaliseTrainConfig, type TrainConfig, type TrainConfigInput } from './config.js';
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

/**
 * Save the model as a Hugging Face gpt2 folder in `dir`, and the AdamW moments + state beside it
 * in `dir/resume/`. Each file is written atomically; the step is recorded in all three, so a save
 * interrupted between files is detected on resume.
 */
export function saveCheckpoint(dir: string, trainer: Trainer, trainSeconds: number): void {
  const step = String(trainer.step);
  const { data } = trainer.config;
  saveModelFolder(dir, trainer.config.model, trainer.params, {
    metadata: { step, producer: '@sinkscope/train' },
    jsonFiles:
      data.task === 'text'
        ? { 'tokenizer.json': byteLevelTokenizerJson(), 'tokenizer_config.json': byteLevelTokenizerConfigJson(trainer.config.model.nPositions) }
        : { 'tokenizer.json': wordLevelTokenizerJson(data.numOrdinary, data.numOrdinary), 'tokenizer_config.json': tokenizerConfigJson() },
  });
  const resume = join(dir, RESUME_DIR);
  mkdirSync(resume, { recursive: true });
  const state = trainer.optimizer.exportState();
  const tensors: TensorToWrite[] = [];
  for (const [name, p] of trainer.params) {
    tensors.push({ name: `m.${name}`, shape: p.shape, data: state.m.get(name)! });
    tensors.push({ name: `v.${name}`, shape: p.shape, data: state.v.get(name)! });
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

/** Rebuild a trainer from `saveCheckpoint`'s files; the run continues exactly where it stopped. */
export function loadCheckpoint(dir: string): { trainer: Trainer; state: RunState } {
  const state = readRunState(dir);
  const { params } = loadModelFolder(dir);
  let trainer: Trainer | undefined;
  try {
    const optimizerPath = join(dir, RESUME_DIR, 'optimizer.safetensors');
    const { tensors, metadata } = readSafetensors(optimizerPath);
    const modelStep = readSafetensors(join(dir, 'model.safetensors')).metadata.step;
    if (metadata.step !== String(state.step) || modelStep !== String(state.step)) {
      throw new Error(`${dir}: checkpoint is inconsistent (state.json step ${state.step}, optimizer step ${metadata.step}, model step ${modelStep}); was a save interrupted?`);
    }
    trainer = new Trainer(state.config, params);
    const pick = (prefix: string) => new Map([...params.keys()].map((n) => [n, tensors.get(`${prefix}.${n}`)?.data as Float32Array]));
    trainer.optimizer.importState({ step: state.step, m: pick('m'), v: pick('v') }, optimizerPath);
    return { trainer, state };
  } catch (err) {
    if (trainer) trainer.dispose();
    else for (const v of params.values()) v.dispose();
    throw err;
  }
}
