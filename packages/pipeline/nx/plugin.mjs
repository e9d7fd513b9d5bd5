// @ts-check
/**
 * Nx local plugin: every `pipelines/<name>/pipeline.yaml` becomes Nx projects whose targets are the
 * pipeline's steps (extract -> metrics -> entropy -> ablate -> report), with dependsOn, inputs and
 * outputs, so Nx's cache and `nx graph` describe the pipeline:
 * - one project per model, `<name>.<model>`, with the model's extract/metrics/entropy/ablate tasks. Nx
 *   puts a project's whole configuration into each of its tasks' cache keys, so one project holding
 *   every model would rerun them all when a model is added; a model project's inputs name only its own
 *   model (nx/task-inputs.ts), so adding a model to a sweep computes only that model's tasks.
 * - the pipeline project `<name>`, whose report reads every model, and whose extract/metrics/entropy/
 *   ablate targets run those of all its models.
 * The launcher (local or slurm) is not an input: a result computed on a cluster is a hit on a laptop.
 * The steps, their order, upstream steps, sources and descriptions come from src/step-table.mjs, the
 * table the step runner and the Slurm launcher read too. Written in plain JS so Nx loads it without
 * a TypeScript transpiler.
 */
import { dirname, basename, join } from 'node:path';
import { modelPathSegment } from '../src/schema/model-revisions.mjs';
import { STEP_TABLE, sourcesUpTo } from '../src/step-table.mjs';
import { readRawSpec, specModels } from './read-spec.mjs';

const MODEL_STEPS = STEP_TABLE.filter((s) => s.perModel);
const PIPELINE_STEPS = STEP_TABLE.filter((s) => !s.perModel);

/** @param {string} specFile @param {(typeof STEP_TABLE)[number]['name']} step @param {string} [model] */
function baseInputs(specFile, step, model) {
  // quoted for the shell Nx runs it in where a revision holds characters a shell would read
  const modelArg = model === undefined ? '' : /^[A-Za-z0-9._@%/-]+$/.test(model) ? ` ${model}` : ` '${model.replaceAll("'", "'\\''")}'`;
  return [
    // the spec as the cache sees it, and the content of the checkpoint folders it names (outside the
    // workspace), hashed by the package's own code (nx/task-inputs.ts)
    { runtime: `node --import tsx packages/pipeline/nx/task-inputs.ts ${specFile}${modelArg}` },
    '{workspaceRoot}/datasets/**/*',
    ...sourcesUpTo(step).map((pkg) => `{workspaceRoot}/packages/${pkg}/src/**/*`),
    { env: 'SINKSCOPE_ENGINE' },
    { env: 'SINKSCOPE_BACKEND' },
  ];
}

/** The Nx project of one model of a pipeline. */
function modelProject(specFile, pipeline, root, model) {
  /** @type {Record<string, import('@nx/devkit').TargetConfiguration>} */
  const targets = {};
  for (const { name: step, upstream, description } of MODEL_STEPS) {
    targets[step] = {
      executor: '@sinkscope/pipeline:step',
      options: { step, spec: specFile, model },
      dependsOn: [...upstream],
      cache: true,
      inputs: baseInputs(specFile, step, model),
      outputs: [`{workspaceRoot}/.sinkscope/runs/${pipeline}/${modelPathSegment(model)}/${step}.json`],
      metadata: { description: `${description} (model ${model})` },
    };
  }
  return { name: `${pipeline}.${model}`, root, projectType: 'application', tags: ['pipeline-model', `pipeline:${pipeline}`], targets };
}

/** The pipeline's own project: the report over every model, and each model step over all models. */
function pipelineProject(specFile, pipeline, root, modelProjects) {
  /** @type {Record<string, import('@nx/devkit').TargetConfiguration>} */
  const targets = {};
  for (const { name: step, description } of MODEL_STEPS) {
    targets[step] = {
      executor: 'nx:noop',
      dependsOn: [{ target: step, projects: modelProjects }],
      metadata: { description: `${description} (every model)` },
    };
  }
  for (const { name: step, upstream, description } of PIPELINE_STEPS) {
    targets[step] = {
      executor: '@sinkscope/pipeline:step',
      options: { step, spec: specFile },
      dependsOn: upstream.map((target) => ({ target, projects: modelProjects })),
      cache: true,
      inputs: baseInputs(specFile, step),
      outputs: [`{workspaceRoot}/reports/${pipeline}`, `{workspaceRoot}/.sinkscope/runs/${pipeline}/${step}.json`],
      metadata: { description },
    };
  }
  return { name: pipeline, root, projectType: 'application', tags: ['pipeline'], targets };
}

/** @type {import('@nx/devkit').CreateNodesV2} */
export const createNodesV2 = [
  'pipelines/*/pipeline.{yaml,yml,json}',
  async (specFiles, _options, context) =>
    specFiles.map((specFile) => {
      const root = dirname(specFile);
      const pipeline = basename(root);
      const models = specModels(readRawSpec(join(context.workspaceRoot, specFile))).map((m) => m.name);
      /** @type {Record<string, any>} */
      const projects = {};
      // a model project's root is a folder of its own under the pipeline's (it need not exist); a
      // revision's slashes (`m@refs/pr/1`) stay inside one path segment
      for (const model of models) {
        const modelRoot = `${root}/models/${modelPathSegment(model)}`;
        projects[modelRoot] = modelProject(specFile, pipeline, modelRoot, model);
      }
      projects[root] = pipelineProject(specFile, pipeline, root, models.map((m) => `${pipeline}.${m}`));
      return [specFile, { projects }];
    }),
];
