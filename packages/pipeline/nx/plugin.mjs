// @ts-check
/**
 * Nx local plugin: every `pipelines/<name>/pipeline.yaml` becomes an Nx project whose targets are the
 * pipeline's steps (extract -> metrics -> entropy -> ablate -> report), with dependsOn, inputs and
 * outputs, so Nx's cache and `nx graph` describe the pipeline. Written in plain JS so Nx loads it
 * without a TypeScript transpiler.
 */
import { dirname, basename } from 'node:path';

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

/** @type {import('@nx/devkit').CreateNodesV2} */
export const createNodesV2 = [
  'pipelines/*/pipeline.{yaml,yml,json}',
  async (specFiles) =>
    specFiles.map((specFile) => {
      const root = dirname(specFile);
      const name = basename(root);
      /** @type {Record<string, import('@nx/devkit').TargetConfiguration>} */
      const targets = {};
      for (const step of Object.keys(STEP_SOURCES)) {
        targets[step] = {
          executor: '@sinkscope/pipeline:step',
          options: { step, spec: specFile },
          dependsOn: STEP_DEPENDS[step],
          cache: true,
          inputs: [
            `{workspaceRoot}/${specFile}`,
            '{workspaceRoot}/datasets/**/*',
            ...sourcesUpTo(step),
            // checkpoint folders live outside the workspace: hash their content (cached by size+mtime)
            { runtime: `node packages/pipeline/nx/checkpoint-hash.mjs ${specFile}` },
            { env: 'SINKSCOPE_ENGINE' },
            { env: 'SINKSCOPE_BACKEND' },
          ],
          outputs: step === 'report' ? [`{workspaceRoot}/reports/${name}`, `{workspaceRoot}/.sinkscope/runs/${name}/${step}.json`] : [`{workspaceRoot}/.sinkscope/runs/${name}/${step}.json`],
          metadata: { description: STEP_DESCRIPTIONS[step] },
        };
      }
      return [specFile, { projects: { [root]: { name, root, projectType: 'application', tags: ['pipeline'], targets } } }];
    }),
];
