// @ts-check
/**
 * The steps of every pipeline, in order: the one table the Nx plugin (nx/plugin.mjs: targets,
 * dependsOn, inputs, descriptions), the Slurm launcher (afterok dependencies) and the step runner
 * (src/run/steps.ts) read. Plain JS so Nx loads it without a TypeScript transpiler.
 * - `upstream`: the steps of the same pipeline whose artifacts this step reads;
 * - `sources`: the packages whose code decides this step's own results (with those of its upstream
 *   steps they are the step's Nx inputs, so a code change recomputes only the steps it affects);
 * - `perModel`: run per model (an Nx model project's target) rather than once over every model.
 */
export const STEP_TABLE = /** @type {const} */ ([
  {
    name: 'extract',
    upstream: [],
    sources: ['model-io', 'datasets', 'artifacts', 'pipeline'],
    perModel: true,
    description: 'forward pass over the dataset; hidden states and attention maps as Arrow artifacts',
  },
  {
    name: 'metrics',
    upstream: ['extract'],
    sources: ['metrics'],
    perModel: true,
    description: 'Sink_k, alpha per head, norms, massive activations, q-k decomposition',
  },
  {
    name: 'entropy',
    upstream: ['extract'],
    sources: ['entropy'],
    perModel: true,
    description: 'matrix-based entropy per layer with the massive-norm bound, anisotropy',
  },
  {
    name: 'lens',
    upstream: ['extract'],
    sources: ['model-io', 'metrics', 'datasets'],
    perModel: true,
    description: 'what each depth is good for: LogitLens loss, multiple-choice accuracy and linear probes per hidden state (Queipo-de-Llano et al. 2025, Fig. 7)',
  },
  {
    name: 'ablate',
    upstream: ['extract', 'metrics'],
    sources: ['ablation', 'metrics', 'entropy'],
    perModel: true,
    description: 'BOS massive-activation ablations and their controls',
  },
  {
    name: 'report',
    upstream: ['metrics', 'entropy', 'lens', 'ablate'],
    sources: ['report'],
    perModel: false,
    description: 'figures (SVG/PNG/Vega-Lite), index.html and summary.md under reports/<pipeline>/',
  },
]);

/**
 * The packages a step's results depend on: its own sources and every upstream step's, sorted.
 * @param {(typeof STEP_TABLE)[number]['name']} name
 * @returns {string[]}
 */
export function sourcesUpTo(name) {
  const seen = new Set();
  /** @param {string} step */
  const visit = (step) => {
    const row = STEP_TABLE.find((s) => s.name === step);
    if (!row) throw new Error(`unknown step '${step}'`);
    for (const pkg of row.sources) seen.add(pkg);
    for (const up of row.upstream) visit(up);
  };
  visit(name);
  return [...seen].sort();
}
