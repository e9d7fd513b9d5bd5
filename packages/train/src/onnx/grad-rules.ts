import type { GradContext, GradRule } from './autodiff.js';
import { floatAttr, intAttr, intsAttr, sizeOf, sliceBounds, stringAttr, type OnnxNode, type Shape } from './shapes.js';

/**
 * Reverse-mode rules for the ONNX ops a traced forward pass emits (model-io's OnnxGraphOps: linear
 * layers, norms, activations, attention, rotary, embeddings), written in standard ONNX ops only:
 * onnxruntime-node's CPU build has none of the training build's *Grad kernels. Each rule maps the
 * gradients of a node's outputs to gradients of its inputs; shapes are static (one batch shape per
 * training graph), so broadcasts are reduced and reshapes built from numbers.
 */

/** Ops whose outputs carry no gradient (shape arithmetic, comparisons, constants). */
export const NON_DIFFERENTIABLE = new Set(['Shape', 'Constant', 'ConstantOfShape', 'Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'Not', 'And', 'Or', 'OneHot', 'ArgMax', 'Size', 'Range']);

const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const GELU_TANH_C = Math.sqrt(2 / Math.PI);
const GELU_TANH_K = 0.044715;

const normAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);
const inputs = (node: OnnxNode) => node.input ?? [];
const outputs = (node: OnnxNode) => node.output ?? [];

/** Swap the last two axes. */
function swapLast(ctx: GradContext, x: string): string {
  const r = ctx.shape(x).length;
  const perm = Array.from({ length: r }, (_, i) => i);
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return ctx.node('Transpose', [x], { perm });
}

/** A rule for an elementwise op of one input whose derivative is `local(x, y)` (dX = dY * local). */
function unary(local: (ctx: GradContext, x: string, y: string) => string): GradRule {
  return (ctx, node, [dY]) => [ctx.node('Mul', [dY!, local(ctx, inputs(node)[0], outputs(node)[0])])];
}

const add: GradRule = (ctx, node, [dY], needs) => inputs(node).map((x, i) => (needs[i] ? ctx.reduceTo(dY!, ctx.shape(x)) : undefined));

const sub: GradRule = (ctx, node, [dY], needs) => {
  const [a, b] = inputs(node);
  return [needs[0] ? ctx.reduceTo(dY!, ctx.shape(a)) : undefined, needs[1] ? ctx.reduceTo(ctx.node('Neg', [dY!]), ctx.shape(b)) : undefined];
};

const mul: GradRule = (ctx, node, [dY], needs) => {
  const [a, b] = inputs(node);
  return [needs[0] ? ctx.reduceTo(ctx.node('Mul', [dY!, b]), ctx.shape(a)) : undefined, needs[1] ? ctx.reduceTo(ctx.node('Mul', [dY!, a]), ctx.shape(b)) : undefined];
};

const div: GradRule = (ctx, node, [dY], needs) => {
  const [a, b] = inputs(node);
  const y = outputs(node)[0];
  // d(a/b)/da = 1/b; d(a/b)/db = -a/b^2 = -y/b
  const dA = needs[0] ? ctx.reduceTo(ctx.node('Div', [dY!, b]), ctx.shape(a)) : undefined;
  const dB = needs[1] ? ctx.reduceTo(ctx.node('Neg', [ctx.node('Div', [ctx.node('Mul', [dY!, y]), b])]), ctx.shape(b)) : undefined;
  return [dA, dB];
};

const sum: GradRule = add;

const where: GradRule = (ctx, node, [dY], needs) => {
  const [cond, a, b] = inputs(node);
  const zero = ctx.scalar(0);
  return [
    undefined,
    needs[1] ? ctx.reduceTo(ctx.node('Where', [cond, dY!, zero]), ctx.shape(a)) : undefined,
    needs[2] ? ctx.reduceTo(ctx.node('Where', [cond, zero, dY!]), ctx.shape(b)) : undefined,
  ];
};

/** Y = A B (numpy matmul, rank >= 2). A weight operand (B of rank 2) takes two Gemms over the flattened rows. */
const matmul: GradRule = (ctx, node, [dY], needs) => {
  const [a, b] = inputs(node);
  const sa = ctx.shape(a);
  const sb = ctx.shape(b);
  if (sb.length === 2) {
    const [k, n] = sb;
    const dY2 = ctx.reshape(dY!, [sizeOf(ctx.shape(dY!)) / n, n]); // [rows, n]
    const dA = needs[0] ? ctx.reshape(ctx.node('Gemm', [dY2, b], { transB: 1 }), sa) : undefined; // dY B^T
    let dB: string | undefined;
    if (needs[1]) {
      // A^T dY, summed over rows. MLAS runs a wide-output [k, n] product (n > k) about 1.6x slower than
      // the tall [n, k] one (2048-row batch, 128 x 512: 104 vs 165 GFLOP/s): compute (dY^T A)^T then
      const rows = ctx.reshape(a, [sizeOf(sa) / k, k]);
      dB = n > k ? ctx.node('Transpose', [ctx.node('Gemm', [dY2, rows], { transA: 1 })], { perm: [1, 0] }) : ctx.node('Gemm', [rows, dY2], { transA: 1 });
    }
    return [dA, dB];
  }
  const dA = needs[0] ? ctx.reduceTo(ctx.node('MatMul', [dY!, swapLast(ctx, b)]), sa) : undefined;
  const dB = needs[1] ? ctx.reduceTo(ctx.node('MatMul', [swapLast(ctx, a), dY!]), sb) : undefined;
  return [dA, dB];
};

/** Y = op(A) op(B) (+ C), op = optional transpose; alpha = beta = 1 (what the tracer emits). */
const gemm: GradRule = (ctx, node, [dY], needs) => {
  if (floatAttr(node, 'alpha', 1) !== 1 || floatAttr(node, 'beta', 1) !== 1) throw new Error(`autodiff: Gemm '${node.name}' with alpha/beta != 1 is not supported`);
  const [a, b, c] = inputs(node);
  const tA = intAttr(node, 'transA', 0);
  const tB = intAttr(node, 'transB', 0);
  // op(A) = dY op(B)^T; A = op(A) or its transpose
  const dA = !needs[0] ? undefined : tA === 0 ? ctx.node('Gemm', [dY!, b], { transB: 1 - tB }) : ctx.node('Gemm', [b, dY!], { transA: tB, transB: 1 });
  // op(B) = op(A)^T dY; B = op(B) or its transpose
  const dB = !needs[1] ? undefined : tB === 0 ? ctx.node('Gemm', [a, dY!], { transA: 1 - tA }) : ctx.node('Gemm', [dY!, a], { transA: 1, transB: tA });
  const dC = c && needs[2] ? ctx.reduceTo(dY!, ctx.shape(c)) : undefined;
  return [dA, dB, dC];
};

const reshapeLike: GradRule = (ctx, node, [dY], needs) => [needs[0] ? ctx.reshape(dY!, ctx.shape(inputs(node)[0])) : undefined];

const transpose: GradRule = (ctx, node, [dY]) => {
  const rank = ctx.shape(inputs(node)[0]).length;
  const perm = intsAttr(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  return [ctx.node('Transpose', [dY!], { perm: inverse })];
};

const identity: GradRule = (_ctx, _node, [dY]) => [dY];

const slice: GradRule = (ctx, node, [dY]) => {
  const [x, starts, ends, axes, steps] = inputs(node);
  const sx = ctx.shape(x);
  const value = (name: string | undefined, fallback: () => number[]) => (name ? ctx.intValue(name) : undefined) ?? fallback();
  const s = ctx.intValue(starts);
  const e = ctx.intValue(ends);
  if (!s || !e) throw new Error(`autodiff: Slice '${node.name}' needs build-time bounds`);
  const bounds = sliceBounds(sx, s, e, value(axes, () => s.map((_, i) => i)), value(steps, () => s.map(() => 1)), `Slice '${node.name}'`);
  const pads = new Array<number>(2 * sx.length).fill(0);
  for (const { axis, start, end } of bounds) {
    pads[axis] = start;
    pads[axis + sx.length] = sx[axis] - end;
  }
  return [ctx.node('Pad', [dY!, ctx.ints(pads)])];
};

const concat: GradRule = (ctx, node, [dY], needs) => {
  const shapes = inputs(node).map((x) => ctx.shape(x));
  const axis = normAxis(intAttr(node, 'axis', 0), shapes[0].length);
  let offset = 0;
  return shapes.map((sh, i) => {
    const start = offset;
    offset += sh[axis];
    return needs[i] ? ctx.node('Slice', [dY!, ctx.ints([start]), ctx.ints([start + sh[axis]]), ctx.ints([axis])]) : undefined;
  });
};

const expand: GradRule = (ctx, node, [dY]) => [ctx.reduceTo(dY!, ctx.shape(inputs(node)[0]))];

/** Axes a Reduce* node reduces over (input or attribute; none = all). */
function reducedAxes(ctx: GradContext, node: OnnxNode, rank: number): number[] {
  const given = inputs(node)[1] ? ctx.intValue(inputs(node)[1]) : intsAttr(node, 'axes');
  if (!given || given.length === 0) return Array.from({ length: rank }, (_, i) => i);
  return given.map((a) => normAxis(a, rank));
}

function reduceGrad(mean: boolean): GradRule {
  return (ctx, node, [dY]) => {
    const x = inputs(node)[0];
    const sx = ctx.shape(x);
    const axes = new Set(reducedAxes(ctx, node, sx.length));
    const kept = ctx.reshape(dY!, sx.map((n, i) => (axes.has(i) ? 1 : n)));
    const count = [...axes].reduce((p, a) => p * sx[a], 1);
    const scaled = mean ? ctx.node('Div', [kept, ctx.scalar(count)]) : kept;
    return [ctx.node('Expand', [scaled, ctx.ints(sx)])];
  };
}

/** softmax: dX = y (dY - sum(dY y)) over the softmax axis. */
const softmax: GradRule = (ctx, node, [dY]) => {
  const y = outputs(node)[0];
  const axis = normAxis(intAttr(node, 'axis', -1), ctx.shape(y).length);
  const dot = ctx.node('ReduceSum', [ctx.node('Mul', [dY!, y]), ctx.ints([axis])], { keepdims: 1 });
  return [ctx.node('Mul', [y, ctx.node('Sub', [dY!, dot])])];
};

/** log-softmax: dX = dY - exp(y) sum(dY). */
const logSoftmax: GradRule = (ctx, node, [dY]) => {
  const y = outputs(node)[0];
  const axis = normAxis(intAttr(node, 'axis', -1), ctx.shape(y).length);
  const total = ctx.node('ReduceSum', [dY!, ctx.ints([axis])], { keepdims: 1 });
  return [ctx.node('Sub', [dY!, ctx.node('Mul', [ctx.node('Exp', [y]), total])])];
};

/**
 * LayerNormalization (Ba et al. 2016) over axes axis..end, y = xhat g + b with xhat = (x - mean) * invStd.
 * The forward node is given its optional Mean and InvStdDev outputs, so nothing is recomputed:
 * dg = sum dY xhat, db = sum dY, dx = invStd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dY g.
 */
const layerNorm: GradRule = (ctx, node, [dY], needs) => {
  const [x, gain, bias] = inputs(node);
  const sx = ctx.shape(x);
  const axis = normAxis(intAttr(node, 'axis', -1), sx.length);
  const out = node.output!;
  const stats = sx.map((n, i) => (i < axis ? n : 1));
  for (let i = 1; i <= 2; i++) {
    if (!out[i]) {
      out[i] = ctx.g.fresh(i === 1 ? 'ln_mean' : 'ln_inv_std');
      ctx.shapes.set(out[i], stats);
    }
  }
  const mean = ctx.statistic(out[1]);
  const invStd = ctx.statistic(out[2]);
  const xhat = ctx.node('Mul', [ctx.node('Sub', [x, mean]), invStd]);
  const leading = Array.from({ length: axis }, (_, i) => i);
  const normalized = Array.from({ length: sx.length - axis }, (_, i) => axis + i);
  const overRows = (v: string, to: Shape) => ctx.reshape(ctx.node('ReduceSum', [v, ctx.ints(leading)], { keepdims: 0 }), to);
  const dGain = needs[1] ? overRows(ctx.node('Mul', [dY!, xhat]), ctx.shape(gain)) : undefined;
  const dBias = bias && needs[2] ? overRows(dY!, ctx.shape(bias)) : undefined;
  let dX: string | undefined;
  if (needs[0]) {
    const dxhat = ctx.node('Mul', [dY!, gain]);
    const meanD = ctx.node('ReduceMean', [dxhat, ctx.ints(normalized)], { keepdims: 1 });
    const meanDX = ctx.node('ReduceMean', [ctx.node('Mul', [dxhat, xhat]), ctx.ints(normalized)], { keepdims: 1 });
    dX = ctx.node('Mul', [invStd, ctx.node('Sub', [ctx.node('Sub', [dxhat, meanD]), ctx.node('Mul', [xhat, meanDX])])]);
  }
  return [dX, dGain, dBias];
};

/**
 * Gelu: exact d/dx x Phi(x) = Phi(x) + x phi(x); tanh form (gelu_new):
 * 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3k x^2), t = tanh(c (x + k x^3)).
 */
const gelu: GradRule = (ctx, node, [dY]) => {
  const x = inputs(node)[0];
  const n = (op: string, ...xs: string[]) => ctx.node(op, xs);
  const c = (v: number) => ctx.scalar(v);
  const x2 = n('Mul', x, x);
  let local: string;
  if (stringAttr(node, 'approximate', 'none') === 'tanh') {
    const t = n('Tanh', n('Mul', n('Add', x, n('Mul', n('Mul', x2, x), c(GELU_TANH_K))), c(GELU_TANH_C)));
    const left = n('Mul', n('Add', t, c(1)), c(0.5));
    const slope = n('Mul', n('Add', n('Mul', x2, c(3 * GELU_TANH_K)), c(1)), c(0.5 * GELU_TANH_C));
    local = n('Add', left, n('Mul', n('Mul', x, n('Sub', c(1), n('Mul', t, t))), slope));
  } else {
    const cdf = n('Add', n('Mul', n('Erf', n('Mul', x, c(SQRT_HALF))), c(0.5)), c(0.5));
    const xPdf = n('Mul', n('Mul', x, n('Exp', n('Mul', x2, c(-0.5)))), c(INV_SQRT_2PI));
    local = n('Add', cdf, xPdf);
  }
  return [n('Mul', dY!, local)];
};

/** Elu (alpha a): y = x for x > 0, a (exp(x) - 1) else; dy/dx = 1 for x > 0, y + a else (linear attention's elu + 1 feature map). */
const elu: GradRule = (ctx, node, [dY]) => {
  const [x] = inputs(node);
  const alpha = floatAttr(node, 'alpha', 1);
  const local = ctx.node('Where', [ctx.node('Greater', [x, ctx.scalar(0)]), ctx.scalar(1), ctx.node('Add', [outputs(node)[0], ctx.scalar(alpha)])]);
  return [ctx.node('Mul', [dY!, local])];
};

/**
 * Gather along axis 0 (embedding lookup): the table's gradient adds each row of dY into the row it
 * was read from. `scatter`: ScatterND with reduction add into zeros; `onehot`: one-hot(ids)^T dY.
 */
const gather: GradRule = (ctx, node, [dY], needs) => {
  const [table, indices] = inputs(node);
  const st = ctx.shape(table);
  if (normAxis(intAttr(node, 'axis', 0), st.length) !== 0) throw new Error(`autodiff: Gather '${node.name}' along an axis other than 0 is not supported`);
  if (!needs[0]) return [undefined, undefined];
  const count = sizeOf(ctx.shape(indices));
  const rest = st.slice(1);
  const rows = ctx.reshape(dY!, [count, sizeOf(rest)]); // [n, r]
  if (ctx.gatherGradient === 'onehot') {
    const ids = ctx.reshape(indices, [count]);
    // ORT's OneHot has float32 outputs only: cast for float64 graphs
    const hot = ctx.node('OneHot', [ids, ctx.ints([st[0]]), ctx.g.floats([0, 1])], { axis: -1 }); // [n, V]
    const oneHot = ctx.floatType === 'float32' ? hot : ctx.node('Cast', [hot], { to: 11 });
    return [ctx.reshape(ctx.node('Gemm', [oneHot, rows], { transA: 1 }), st), undefined];
  }
  const zeros = ctx.node('Expand', [ctx.scalar(0), ctx.ints(st)]);
  const idx = ctx.reshape(indices, [count, 1]);
  return [ctx.node('ScatterND', [zeros, idx, ctx.reshape(rows, [count, ...rest])], { reduction: 'add' }), undefined];
};

export const GRAD_RULES: ReadonlyMap<string, GradRule> = new Map<string, GradRule>([
  ['Add', add],
  ['Sub', sub],
  ['Mul', mul],
  ['Div', div],
  ['Sum', sum],
  ['Where', where],
  ['Neg', (ctx, _node, [dY]) => [ctx.node('Neg', [dY!])]],
  ['Identity', identity],
  ['Sqrt', (ctx, node, [dY]) => [ctx.node('Div', [dY!, ctx.node('Add', [outputs(node)[0], outputs(node)[0]])])]], // 1 / (2 sqrt x)
  ['Exp', unary((_ctx, _x, y) => y)],
  ['Sigmoid', unary((ctx, _x, y) => ctx.node('Sub', [y, ctx.node('Mul', [y, y])]))], // y (1 - y)
  ['Softplus', unary((ctx, x) => ctx.node('Sigmoid', [x]))], // log(1 + e^x)' = sigmoid(x)
  ['Tanh', unary((ctx, _x, y) => ctx.node('Sub', [ctx.scalar(1), ctx.node('Mul', [y, y])]))],
  ['Relu', unary((ctx, _x, y) => ctx.node('Sign', [y]))], // 1 where x > 0, else 0
  ['Elu', elu],
  ['Erf', unary((ctx, x) => ctx.node('Mul', [ctx.node('Exp', [ctx.node('Neg', [ctx.node('Mul', [x, x])])]), ctx.scalar(TWO_OVER_SQRT_PI)]))],
  ['Gelu', gelu],
  ['MatMul', matmul],
  ['Gemm', gemm],
  ['Reshape', reshapeLike],
  ['Unsqueeze', reshapeLike],
  ['Squeeze', reshapeLike],
  ['Flatten', reshapeLike],
  ['Transpose', transpose],
  ['Slice', slice],
  ['Concat', concat],
  ['Expand', expand],
  ['ReduceSum', reduceGrad(false)],
  ['ReduceMean', reduceGrad(true)],
  ['Softmax', softmax],
  ['LogSoftmax', logSoftmax],
  ['LayerNormalization', layerNorm],
  ['Gather', gather],
]);
