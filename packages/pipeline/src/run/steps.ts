import { parseChoice } from '@sinkscope/model-io';
import { STEP_TABLE } from '../step-table.mjs';

export { STEP_TABLE, sourcesUpTo } from '../step-table.mjs';

/** A step of the table (step-table.mjs). */
export type StepName = (typeof STEP_TABLE)[number]['name'];

/** The steps of every pipeline, in order; each is an Nx target of the pipeline's project. */
export const STEPS: readonly StepName[] = STEP_TABLE.map((s) => s.name);

/** The steps whose artifacts `step` reads (its Slurm jobs wait for theirs). */
export function stepUpstream(step: StepName): readonly StepName[] {
  return STEP_TABLE.find((s) => s.name === step)!.upstream;
}

export function parseStep(value: string): StepName {
  return parseChoice(value, STEPS, 'step');
}
