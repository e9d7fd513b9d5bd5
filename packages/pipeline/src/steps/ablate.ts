import type { PipelineContext } from '../run/context.js';
import type { StepReceipt } from '../run/receipt.js';

/**
 * ablate: BOS massive-activation ablations and their controls. A pipeline without `ablations` has
 * nothing to do here. @sinkscope/ablation registers its runner through `setAblationRunner` (the CLI
 * does so at start-up), because the ablation package depends on this one and cannot be imported here.
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
  if (!runner) throw new Error(`${ctx.specFile}: field 'ablations': no ablation runner is registered (call registerAblation() from @sinkscope/ablation first)`);
  return runner(ctx);
}
