import type { PipelineContext } from '../run/context.js';
import type { StepReceipt } from '../run/receipt.js';

/**
 * ablate: BOS massive-activation ablations and their controls. A pipeline without `ablations` has
 * nothing to do here; the ablation package (a later issue) plugs its runner in through `setAblationRunner`.
 */
type AblationRunner = (ctx: PipelineContext) => Promise<StepReceipt['artifacts']>;
let runner: AblationRunner | undefined;

export function setAblationRunner(r: AblationRunner): void {
  runner = r;
}

export async function ablateStep(ctx: PipelineContext): Promise<StepReceipt['artifacts']> {
  if (ctx.spec.ablations.length === 0) {
    ctx.log('ablate: no ablations in the spec');
    return [];
  }
  if (!runner) throw new Error(`${ctx.specFile}: field 'ablations': ablations are not available yet (the @sinkscope/ablation package is not built)`);
  return runner(ctx);
}
