// Specs: the zod schema (ablations embed @sinkscope/ablation's), loading, what enters which hash.
export * from './schema/pipeline-schema.js';
export * from './schema/load.js';
export * from './schema/cache-view.js';
export * from './schema/json-schema.js';
// The ground floor of a run: paths, the step table, the context, keys, receipts, shards.
export * from './run/paths.js';
export * from './run/steps.js';
export * from './run/context.js';
export * from './run/keys.js';
export * from './run/receipt.js';
export * from './run/shards.js';
// Artifact formats of the steps, and where every artifact of a model lives.
export * from './kinds/activations.js';
export * from './kinds/step-kinds.js';
export * from './plan/model-plan.js';
// The steps and the orchestrator over them.
export { activationBatches } from './steps/activation-batches.js';
export { reportDir } from './steps/report/report.js';
export type { ModelTables, Row } from './steps/report/layers-table.js';
export { layerTableMarkdown } from './steps/report/summary-table.js';
export * from './run-pipeline.js';
export * from './measure-model.js';
// Launchers.
export * from './launch/launcher.js';
export { SlurmRunError, type PlannedJob, type SlurmLaunchOptions } from './launch/slurm-launch.js';
export { stepResources, slurmLogDir } from './launch/job-request.js';
