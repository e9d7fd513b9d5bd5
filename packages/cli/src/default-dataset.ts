import { join } from 'node:path';
import { hasTokenizer } from '@sinkscope/model-io';
import { checkpointEvalSet, datasetRefs, loadSpec, REPO_ROOT } from '@sinkscope/pipeline';
import { CliError } from './cli-error.js';
import type { ModelRun } from './model-flags.js';
import { maxTokensOf, type TokenInput } from './token-input.js';

/** The pipeline `npm start` runs: its dataset is the default model's held-out evaluation set. */
export const NPM_START_SPEC = join(REPO_ROOT, 'pipelines/sink-valley/pipeline.yaml');

/** Any other checkpoint with a tokenizer reads real text: State of the Union windows (100 x 64 tokens). */
export const DEFAULT_TEXT_DATASET = 'datasets/sotu-64.json';
const DEFAULT_TEXT_SEQ_LEN = 64;

/** A built dataset as token input, with its name and why it was chosen (for the output). */
export interface DefaultDatasetInput extends TokenInput {
  readonly dataset: string;
  readonly why: string;
}

/**
 * What a command measures when given neither `--text` nor `--token-ids`: the default model's own
 * held-out set exactly as `npm start` builds it (the sink-valley spec's dataset and T), or, for a
 * checkpoint with a tokenizer, sotu-64 (T capped at a learned position table's size).
 */
export async function defaultDatasetInput(run: ModelRun): Promise<DefaultDatasetInput> {
  let dataset: { spec: string; count?: number; seed?: number };
  let seqLen: number;
  let why: string;
  if (run.location.kind === 'default') {
    const spec = loadSpec(NPM_START_SPEC);
    // the spec's first dataset (a spec with `datasets: [...]` lists several)
    dataset = datasetRefs(spec)[0];
    seqLen = spec.seqLen;
    why = `the default model's held-out set, as npm start (${spec.name}) measures it`;
  } else if (hasTokenizer(run.dir)) {
    dataset = { spec: DEFAULT_TEXT_DATASET };
    seqLen = Math.min(DEFAULT_TEXT_SEQ_LEN, maxTokensOf(run.model.arch) ?? Infinity);
    why = 'the default dataset for a checkpoint with a tokenizer';
  } else {
    throw new CliError(`${run.dir} has no tokenizer.json, so there is no default dataset for it: give --token-ids <file.json> (or --text with a checkpoint that has a tokenizer)`);
  }
  const set = await checkpointEvalSet(dataset, { seqLen, bosPolicy: run.bosPolicy }, { dir: run.dir, arch: run.model.arch }).catch((err: Error) => {
    throw new CliError(`${run.dir}: default dataset ${dataset.spec}: ${err.message}`);
  });
  return { sequences: set.sequences, firstIsBos: set.firstIsBos, source: `dataset ${set.name}`, dataset: set.name, why };
}
