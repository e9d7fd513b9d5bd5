/** The steps of every pipeline, in order; each is an Nx target of the pipeline's project. */
export const STEPS = ['extract', 'metrics', 'entropy', 'ablate', 'report'] as const;
export type StepName = (typeof STEPS)[number];

export function parseStep(value: string): StepName {
  if ((STEPS as readonly string[]).includes(value)) return value as StepName;
  throw new Error(`unknown step '${value}' (steps: ${STEPS.join(', ')})`);
}
