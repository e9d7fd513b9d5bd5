import type { PipelineSpec } from '../schema/pipeline-schema.js';

/** One (layer, head) of the q-k grid with its mean alpha_1. */
export interface GridHead {
  readonly layer: number;
  readonly head: number;
  readonly meanAlpha: number;
}

/**
 * The heads of the q-k grid (Gu et al. 2025, figs. 15-18): the spec's list, or with 'alpha-extremes'
 * the `perEnd` heads with the largest mean alpha_1 and the `perEnd` with the smallest (a sink head
 * beside a head that ignores the first token), largest first; ties go to the lower (layer, head).
 */
export function qkGridHeads(meanAlpha: readonly (readonly number[])[], maps: PipelineSpec['qkMaps']): GridHead[] {
  const all = meanAlpha.flatMap((row, layer) => row.map((a, head) => ({ layer, head, meanAlpha: a })));
  if (maps.heads !== 'alpha-extremes') {
    return maps.heads.map(({ layer, head }) => ({ layer, head, meanAlpha: meanAlpha[layer][head] }));
  }
  const ranked = [...all].sort((a, b) => b.meanAlpha - a.meanAlpha || a.layer - b.layer || a.head - b.head);
  const n = Math.min(maps.perEnd, Math.floor(ranked.length / 2));
  return n === 0 ? ranked.slice(0, 1) : [...ranked.slice(0, n), ...ranked.slice(ranked.length - n)];
}
