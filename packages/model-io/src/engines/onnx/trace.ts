import type { ArchSpec } from '../../arch-spec.js';
import type { FamilyAdapter, WeightReader } from '../../families/adapter.js';
import type { HostArray } from '../../host-array.js';
import { block, embed, head } from '../../forward/forward.js';
import type { HookName } from '../../hooks.js';
import { mapEmbeddings, mapLayer, mapLinear, mapNorm } from '../../weights.js';
import type { InterventionSpec } from '../../interventions.js';
import { garbageWatch } from './collect-garbage.js';
import { GraphBuilder, type InPlaceModel } from './onnx-graph.js';
import { hookDims, OnnxGraphOps, transposedWeight, type GraphInput } from './onnx-ops.js';

/**
 * What one traced graph covers: a contiguous piece of the forward pass. It starts at the token ids
 * (`embed`) or at the residual stream (`resid_in`), runs blocks firstLayer..lastLayer (none when
 * first > last), then the head when `head`, and outputs the residual stream (`resid_out`) when a
 * later piece continues from it. In memory the whole model is one segment (or several, split at
 * function interventions); layer streaming runs embed, each block, and the head as their own segments.
 */
export interface Stage {
  readonly embed: boolean;
  readonly firstLayer: number;
  readonly lastLayer: number;
  readonly head: boolean;
  readonly residualOut: boolean;
}

export interface TracedGraph {
  /** The model, its stored weights pointing into the checkpoint's files when the reader defers them (DeferredWeightReader). */
  readonly encoded: InPlaceModel;
  readonly inputs: readonly GraphInput[];
  /** Captured hooks and the graph outputs holding them, in forward order. */
  readonly hooks: readonly { readonly hook: HookName; readonly output: string }[];
  /** The graph output holding the residual stream leaving the segment (the next segment's `resid_in`). */
  readonly residualOut?: string;
}

/** 'embed', 'block 3', 'head', 'blocks 0-5', 'embed + blocks 0-11 + head', ... */
export function stageName(stage: Stage): string {
  const { firstLayer: a, lastLayer: b } = stage;
  const blocks = a > b ? [] : [a === b ? `block ${a}` : `blocks ${a}-${b}`];
  return [...(stage.embed ? ['embed'] : []), ...blocks, ...(stage.head ? ['head'] : [])].join(' + ');
}

/** Host array bytes a traced layer may leave behind before the trace collects them (deferred weights leave none). */
const LAYER_GARBAGE_BYTES = 64 * 2 ** 20;

/** Run the one forward pass (forward.ts's embed / block / head) against the tracer for one segment. */
export function traceStage(
  arch: ArchSpec,
  family: FamilyAdapter,
  reader: WeightReader,
  stage: Stage,
  capture: ReadonlySet<HookName>,
  interventions: readonly InterventionSpec[],
): TracedGraph {
  const g = new GraphBuilder({ weights: 'in-place' });
  try {
    return traceInto(g, { arch, family, reader, stage, capture, interventions });
  } catch (err) {
    g.discard();
    throw err;
  }
}

/** What one segment's graph is traced from. */
interface TraceRequest {
  readonly arch: ArchSpec;
  readonly family: FamilyAdapter;
  readonly reader: WeightReader;
  readonly stage: Stage;
  readonly capture: ReadonlySet<HookName>;
  readonly interventions: readonly InterventionSpec[];
}

function traceInto(g: GraphBuilder, { arch, family, reader, stage, capture, interventions }: TraceRequest): TracedGraph {
  const ops = new OnnxGraphOps(g, arch, capture, interventions, { contribOps: true });
  const w = (prefix: string) => (array: HostArray, name: string) => g.weight(`${prefix}${name}`, array);
  let embedTable: string | undefined;
  let x: string;
  if (stage.embed) {
    const weights = mapEmbeddings(family.embeddings(arch, reader), w(''));
    embedTable = weights.embed;
    x = embed(ops, arch, weights); // [B,T,d] (+ a sink token's row)
  } else {
    x = ops.residualInput(); // [B,T,d]
  }
  const collect = garbageWatch(LAYER_GARBAGE_BYTES);
  for (let l = stage.firstLayer; l <= stage.lastLayer; l++) {
    x = block(ops, arch, mapLayer(family.layer(arch, reader, l), w(`layers.${l}.`), ''), l, x);
    collect(); // a reader that materialises weights: the layer's raw reads and pre-transpose copies, before the next layer's
  }
  const residualOut = stage.residualOut ? ops.output('resid_out', x, hookDims(arch, 'blocks.0.hook_resid_post')) : undefined;
  if (stage.head) {
    const { lnFinal, lmHead } = family.head(arch, reader);
    let lmHeadWeights = mapLinear(lmHead, w(''), 'lmHead');
    if (arch.tiedEmbeddings) {
      // the adapter's lmHead is the embedding transposed: multiply by the [vocab, d] table itself instead
      // (one copy of the largest matrix, not two; GPT-2 small: 154 MB)
      embedTable ??= g.weight('embed', family.embeddings(arch, reader).embed);
      lmHeadWeights = { w: transposedWeight(embedTable), ...(lmHead.b ? { b: g.weight('lmHead.b', lmHead.b) } : {}) };
    }
    head(ops, arch, { lnFinal: mapNorm(lnFinal, w(''), 'lnFinal'), lmHead: lmHeadWeights }, x); // [B,T,V]
  }
  const encoded = g.encodeInPlace(`sinkscope ${arch.modelType} ${stageName(stage)}`);
  return { encoded, inputs: [...ops.feeds.values()], hooks: ops.capturedHooks, ...(residualOut ? { residualOut } : {}) };
}
