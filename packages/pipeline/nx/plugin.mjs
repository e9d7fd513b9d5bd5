// @ts-check
/**
 * Nx local plugin: every `pipelines/<name>/pipeline.yaml` becomes Nx projects whose targets are the
 * pipeline's steps (extract -> metrics -> entropy -> ablate -> report), with dependsOn, inputs and
 * outputs, so Nx's cache and `nx graph` describe the pipeline:
 * - one project per model, `<name>.<model>`, with the model's extract/metrics/entropy/ablate tasks. Nx
 *   puts a project's whole configuration into each of its tasks' cache keys, so one project holding
 *   every model would rerun them all when a model is added; a model project's inputs name only its own
 *   model (nx/spec-hash.mjs), so adding a model to a sweep computes only that model's tasks.
 * - the pipeline project `<name>`, whose report reads every model, and whose extract/metrics/entropy/
 *   ablate targets run those of all its models.
 * The launcher (local or slurm) is not an input: a result computed on a cluster is a hit on a laptop.
 * Written in plain JS so Nx loads it without a TypeScript transpiler.
 */
import { dirname, basename, join } from 'node:path';
import { readRawSpec, specModels } from './read-spec.mjs';

/** Package sources each step's result depends on (a code change recomputes the steps it affects). */
const STEP_SOURCES = {
  extract: ['model-io', 'datasets', 'artifacts', 'pipeline'],
  metrics: ['metrics'],
  entropy: ['entropy'],
  ablate: ['ablation', 'metrics', 'entropy'],
  report: ['report'],
};

/** Each step's upstream steps within the same pipeline. */
const STEP_DEPENDS = {
  extract: [],
  metrics: ['extract'],
  entropy: ['extract'],
  ablate: ['extract', 'metrics'],
  report: ['metrics', 'entropy', 'ablate'],
};

const STEP_DESCRIPTIONS = {
  extract: 'forward pass over the dataset; hidden states and attention maps as Arrow artifacts',
  metrics: 'Sink_k, alpha per head, norms, massive activations, q-k decomposition',
  entropy: 'matrix-based entropy per layer with the massive-norm bound, anisotropy',
  ablate: 'BOS massive-activation ablations and their controls',
  report: 'figures (SVG/PNG/Vega-Lite), index.html and summary.md under reports/<pipeline>/',
};

function sourcesUpTo(step) {
  const seen = new Set();
  const visit = (s) => {
    for (const pkg of STEP_SOURCES[s]) seen.add(pkg);
    for (const d of STEP_DEPENDS[s]) visit(d);
  };
  visit(step);
  return [...seen].sort().map((pkg) => `{workspaceRoot}/packages/${pkg}/src/**/*`);
}

const MODEL_STEPS = ['extract', 'metrics', 'entropy', 'ablate'];

function baseInputs(specFile, step, model) {
  const modelArg = model === undefined ? '' : ` ${model}`;
  return [
    // the spec without its launch fields (and, for a model project, without the other models)
    { runtime: `node packages/pipeline/nx/spec-hash.mjs ${specFile}${modelArg}` },
    '{workspaceRoot}/datasets/**/*',
    ...sourcesUpTo(step),
    // checkpoint folders live outside the workspace: hash their content (cached by size+mtime)
    { runtime: `node packages/pipeline/nx/checkpoint-hash.mjs ${specFile}${modelArg}` },
    { env: 'SINKSCOPE_ENGINE' },
    { env: 'SINKSCOPE_BACKEND' },
  ];
}

/** The Nx project of one model of a pipeline. */
function modelProject(specFile, pipeline, root, model) {
  /** @type {Record<string, import('@nx/devkit').TargetConfiguration>} */
  const targets = {};
  for (const step of MODEL_STEPS) {
    targets[step] = {
      executor: '@sinkscope/pipeline:step',
      options: { step, spec: specFile, model },
      dependsOn: STEP_DEPENDS[step],
      cache: true,
      inputs: baseInputs(specFile, step, model),
      outputs: [`{workspaceRoot}/.sinkscope/runs/${pipeline}/${model}/${step}.json`],
      metadata: { description: `${STEP_DESCRIPTIONS[step]} (model ${model})` },
    };
  }
  return { name: `${pipeline}.${model}`, root, projectType: 'application', tags: ['pipeline-model', `pipeline:${pipeline}`], targets };
}

/** The pipeline's own project: the report over every model, and each step over all models. */
function pipelineProject(specFile, pipeline, root, modelProjects) {
  /** @type {Record<string, import('@nx/devkit').TargetConfiguration>} */
  const targets = {};
  for (const step of MODEL_STEPS) {
    targets[step] = {
      executor: 'nx:noop',
      dependsOn: [{ target: step, projects: modelProjects }],
      metadata: { description: `${STEP_DESCRIPTIONS[step]} (every model)` },
    };
  }
  targets.report = {
    executor: '@sinkscope/pipeline:step',
    options: { step: 'report', spec: specFile },
    dependsOn: STEP_DEPENDS.report.map((target) => ({ target, projects: modelProjects })),
    cache: true,
    inputs: baseInputs(specFile, 'report'),
    outputs: [`{workspaceRoot}/reports/${pipeline}`, `{workspaceRoot}/.sinkscope/runs/${pipeline}/report.json`],
    metadata: { description: STEP_DESCRIPTIONS.report },
  };
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
      // a model project's root is a folder of its own under the pipeline's (it need not exist)
      for (const model of models) projects[`${root}/models/${model}`] = modelProject(specFile, pipeline, `${root}/models/${model}`, model);
      projects[root] = pipelineProject(specFile, pipeline, root, models.map((m) => `${pipeline}.${m}`));
      return [specFile, { projects }];
    }),
];
