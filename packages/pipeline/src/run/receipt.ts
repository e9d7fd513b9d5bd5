import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StepName } from './steps.js';

/** What a step produced: the artifact keys downstream steps and Nx's cache refer to. */
export interface StepReceipt {
  readonly pipeline: string;
  readonly step: StepName;
  readonly artifacts: readonly { readonly kind: string; readonly key: string; readonly model?: string; readonly cacheHit: boolean }[];
  readonly seconds: number;
}

export function receiptPath(runsRoot: string, pipeline: string, step: StepName): string {
  return join(runsRoot, pipeline, `${step}.json`);
}

/** Written atomically (temp + rename): Nx caches this file as the step's output. */
export function writeReceipt(runsRoot: string, receipt: StepReceipt): void {
  const path = receiptPath(runsRoot, receipt.pipeline, receipt.step);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  // seconds are left out of the file so an unchanged rerun writes identical bytes
  writeFileSync(tmp, `${JSON.stringify({ ...receipt, seconds: undefined }, null, 2)}\n`);
  renameSync(tmp, path);
}
