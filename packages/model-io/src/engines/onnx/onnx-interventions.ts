import type { Dim, ElemType, GraphBuilder } from './onnx-graph.js';
import { boolTensor, floatTensor, int64Tensor, type FeedMaker } from './feeds.js';
import { interventionPositions, isPartial, needsOthers, positionMasks, scaledDirection, type InterventionSpec } from '../../interventions.js';

/** ONNX TensorProto.DataType BOOL, for Cast. */
const BOOL = 9;

/** How an intervention asks the graph for a per-batch input (made on the host from the batch shape). */
export type RequireInput = (name: string, type: ElemType, dims: readonly Dim[], make: FeedMaker) => string;

/**
 * Compile one declarative intervention into graph nodes acting on x [B,T,width]. Unchosen positions
 * go through `Where(select, ..., x)`, so they are bit-identical to the input.
 */
export function emitIntervention(g: GraphBuilder, requireInput: RequireInput, x: string, spec: InterventionSpec, width: number): string {
  const positions = interventionPositions(spec);
  const key = positions.join('_');
  const masks = (ctx: Parameters<FeedMaker>[0]) => positionMasks(positions, ctx, spec.hook, needsOthers(spec));
  const select = requireInput(`select_p${key}`, 'bool', [1, 'seq', 1], (ctx) => boolTensor(masks(ctx).select, [1, ctx.seqLen, 1]));
  const others = () => requireInput(`others_p${key}`, 'float32', ['batch', 'seq', 1], (ctx) => floatTensor(masks(ctx).others, [ctx.batch, ctx.seqLen, 1]));
  const full = fullChange(g, requireInput, x, spec, width, select, others, key, masks);
  if (!isPartial(spec)) return full;
  // a partial dose: x + strength (f(x) - x) at the chosen positions
  const partial = g.node('Add', [x, g.node('Mul', [g.scalar(spec.strength!), g.node('Sub', [full, x])])]);
  return g.node('Where', [select, partial, x]);
}

/** The kind's full change f(x) at the chosen positions (x elsewhere). */
function fullChange(
  g: GraphBuilder,
  requireInput: RequireInput,
  x: string,
  spec: InterventionSpec,
  width: number,
  select: string,
  others: () => string,
  key: string,
  masks: (ctx: Parameters<FeedMaker>[0]) => ReturnType<typeof positionMasks>,
): string {
  switch (spec.kind) {
    case 'zero':
      return g.node('Where', [select, g.scalar(0), x]);
    case 'mean-of-others': {
      const count = requireInput(`others_count_p${key}`, 'float32', ['batch', 1, 1], (ctx) => floatTensor(masks(ctx).otherCount, [ctx.batch, 1, 1]));
      const sum = g.node('ReduceSum', [g.node('Mul', [x, others()]), g.ints([1])], { keepdims: 1 }); // [B,1,width]
      return g.node('Where', [select, g.node('Div', [sum, count]), x]);
    }
    case 'rescale-norm': {
      const norms = g.node('Sqrt', [g.node('ReduceSum', [g.node('Mul', [x, x]), g.ints([-1])], { keepdims: 1 })]); // [B,T,1]
      const target = spec.norm === 'median-of-others' ? medianOfOthers(g, requireInput, norms, others(), key, masks) : g.scalar(spec.norm);
      return g.node('Where', [select, g.node('Mul', [x, g.node('Div', [target, norms])]), x]);
    }
    case 'set-dims': {
      const dimMask = new Array<number>(width).fill(0);
      for (const d of spec.dims) dimMask[d] = 1;
      const isSetDim = g.node('Cast', [g.floats(dimMask)], { to: BOOL }); // [width]
      return g.node('Where', [select, g.node('Where', [isSetDim, g.scalar(spec.value), x]), x]);
    }
    case 'add-direction': {
      const direction = scaledDirection(spec);
      return g.node('Where', [select, g.node('Add', [x, g.floats([...direction])]), x]);
    }
  }
}

/** Median of the others' norms per sequence: TopK ascending over T (chosen/padding set to +inf), then the middle pair. */
function medianOfOthers(
  g: GraphBuilder,
  requireInput: RequireInput,
  norms: string,
  others: string,
  key: string,
  masks: (ctx: Parameters<FeedMaker>[0]) => ReturnType<typeof positionMasks>,
): string {
  const isOther = g.node('Cast', [others], { to: BOOL });
  const candidates = g.node('Where', [isOther, norms, g.scalar(Infinity)]); // [B,T,1]
  const k = requireInput('seq_len', 'int64', [1], (ctx) => int64Tensor([ctx.seqLen], [1]));
  const sorted = g.node('TopK', [candidates, k], { axis: 1, largest: 0, sorted: 1 }, [g.fresh('sorted'), g.fresh('sorted_idx')]);
  const lo = requireInput(`median_lo_p${key}`, 'int64', ['batch', 1, 1], (ctx) => int64Tensor(masks(ctx).medianLo, [ctx.batch, 1, 1]));
  const hi = requireInput(`median_hi_p${key}`, 'int64', ['batch', 1, 1], (ctx) => int64Tensor(masks(ctx).medianHi, [ctx.batch, 1, 1]));
  const a = g.node('GatherElements', [sorted, lo], { axis: 1 });
  const b = g.node('GatherElements', [sorted, hi], { axis: 1 });
  return g.node('Mul', [g.node('Add', [a, b]), g.scalar(0.5)]); // [B,1,1]
}
