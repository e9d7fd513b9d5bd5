import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { modelPathSegment } from '../schema/model-revisions.mjs';
import type { StepName } from './steps.js';

/** What a step produced: the artifact keys downstream steps and Nx's cache refer to. */
export interface StepReceipt {
  readonly pipeline: string;
  readonly step: StepName;
  /** The model of a one-model run (an Nx model project); absent for a whole-pipeline run. */
  readonly model?: string;
  /** `dataset` names the dataset where the spec lists several. */
  readonly artifacts: readonly { readonly kind: string; readonly key: string; readonly model?: string; readonly dataset?: string; readonly shard?: number; readonly cacheHit: boolean }[];
  readonly seconds: number;
}

/**
 * runs/<pipeline>/<step>.json for a whole-pipeline run, runs/<pipeline>/<model>/<step>.json for one
 * model's (an Nx model project's; the model name as one path segment, so `m@refs/pr/1` is one folder).
 */
export function receiptPath(runsRoot: string, pipeline: string, step: StepName, model?: string): string {
  return model === undefined ? join(runsRoot, pipeline, `${step}.json`) : join(runsRoot, pipeline, modelPathSegment(model), `${step}.json`);
}

/** Written atomically (temp + rename): Nx caches this file as the step's output. */
export function writeReceipt(runsRoot: string, receipt: StepReceipt): void {
  const path = receiptPath(runsRoot, receipt.pipeline, receipt.step, receipt.model);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  // seconds are left out of the file so an unchanged rerun writes identical bytes
  writeFileSync(tmp, `${JSON.stringify({ ...receipt, seconds: undefined }, null, 2)}\n`);
  renameSync(tmp, path);
}
