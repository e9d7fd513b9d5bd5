// run-info.json: what a training run was, written into its folder when the run starts, so the model
// card and `sinkscope training-report` read the run's provenance from its own files rather than from
// constants: the task and data, the held-out set, the first-token (BOS) policy, the evaluation's
// Sink_1 threshold, the engine and backend, and the versions of what ran it. This file reads and
// writes it without loading an engine (`@sinkscope/train/run-info`); run-info.ts builds it.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FirstTokenPolicy } from './first-token.js';

export const RUN_INFO_FILE = 'run-info.json';

export interface RunInfo {
  /** `backcopy` or `text`. */
  readonly task: string;
  /** One line on the data (corpus, task seed, held-out share...). */
  readonly dataset: string;
  /** The held-out set every evaluation reads: its sequences and the tokens T the model reads of each (BOS included). */
  readonly heldOut: { readonly sequences: number; readonly seqLen: number };
  /** What sits at position 0: `bos`, `none` or `random` (Gu et al. 2025 sec. 6). */
  readonly firstToken: FirstTokenPolicy;
  /** The evaluation's Sink_1 threshold: alpha_1 > sinkEps. */
  readonly sinkEps: number;
  readonly engine: 'tfjs' | 'onnx';
  /** tfjs: its backend; onnx: ONNX Runtime's execution provider. */
  readonly backend: string;
  /** The onnx engine's ORT threads when fixed by `--threads` (1: bit-identical reruns); absent: every core. */
  readonly threads?: number;
  /** The versions of what ran it (the last session of a resumed run). */
  readonly versions: Readonly<Record<string, string>>;
}

/** Writes run-info.json atomically (temp + rename). */
export function writeRunInfo(dir: string, info: RunInfo): void {
  const path = join(dir, RUN_INFO_FILE);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`);
  renameSync(tmp, path);
}

/** The run-info.json of a run folder, or undefined for a run that predates it. */
export function readRunInfo(dir: string): RunInfo | undefined {
  const path = join(dir, RUN_INFO_FILE);
  if (!existsSync(path)) return undefined;
  const info = JSON.parse(readFileSync(path, 'utf8')) as RunInfo;
  for (const field of ['task', 'dataset', 'heldOut', 'firstToken', 'sinkEps', 'engine', 'backend', 'versions'] as const) {
    if (info[field] === undefined) throw new Error(`${path}: field '${field}' is missing`);
  }
  return info;
}
