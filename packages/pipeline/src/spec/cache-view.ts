import type { PipelineSpec } from './schema.js';

/** Spec fields that say how or where steps run, never what they compute: left out of every hash. */
export const LAUNCH_FIELDS = ['launcher', 'slurm'] as const;

/**
 * The spec as the cache sees it: without the launch fields, so a result computed on a Slurm cluster
 * is a hit on a laptop and back. The Nx runtime input (nx/spec-hash.mjs) strips the same fields.
 */
export function cacheView(spec: PipelineSpec): Omit<PipelineSpec, (typeof LAUNCH_FIELDS)[number]> {
  const { launcher: _launcher, slurm: _slurm, ...rest } = spec;
  return rest;
}
