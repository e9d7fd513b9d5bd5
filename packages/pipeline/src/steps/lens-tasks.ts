import type { LensHead } from '@sinkscope/model-io';
import type { ModelPlan } from '../plan/model-plan.js';
import type { PipelineContext } from '../run/context.js';
import type { StepReceipt } from '../run/receipt.js';

/** Multiple choice and probes (their own datasets and forward passes); filled in below. */
export async function depthTaskArtifacts(_ctx: PipelineContext, _plan: ModelPlan, _head: () => Promise<LensHead>): Promise<StepReceipt['artifacts']> {
  return [];
}
