import * as tf from '@tensorflow/tfjs';
import { GraphBuilder } from '@sinkscope/model-io';
import { seededNormal } from '@sinkscope/model-io/testing';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../engine/backend.js';
import { appendBackward, GradContext, type FloatType, type GatherGradient, type GradRule } from './autodiff.js';
import { GRAD_RULES } from './grad-rules.js';
import { createSession } from './session.js';
import { ShapeTable, sizeOf, type Shape } from './shapes.js';

/** Deterministic normal draws (mulberry32 + Box-Muller). */
function normals(n: number, seed: number): number[] {
  return Array.from({ length: n }, seededNormal(seed));
}

interface OpCase {
  readonly name: string;
  /** Input shapes; `positive` inputs are drawn from [0.5, 2) (Sqrt, divisors). */
  readonly inputs: readonly { readonly shape: Shape; readonly positive?: boolean; readonly awayFromZero?: boolean }[];
  /** Emit the op(s) on the graph inputs x0, x1, ... and return the output value. */
  readonly build: (ctx: GradContext, xs: readonly string[]) => string;
  readonly gather?: GatherGradient;
  /**
   * Largest allowed |analytic - numeric| / max(1, max |analytic|); default 1e-8 (measured <= 2e-9).
   * LayerNormalization 2e-7: ORT keeps its mean / inverse std in float32 (measured 3.3e-8).
   */
  readonly tolerance?: number;
}

interface Checked {
  readonly maxError: number;
}

/**
 * Analytic gradients of loss = sum(y * r) (r random) from the appended backward graph, against
 * central finite differences of the same float64 graph, for every input element.
 */
async function checkAgainstFiniteDifferences(c: OpCase, seed = 1): Promise<Checked> {
  const floatType: FloatType = 'float64';
  const g = new GraphBuilder();
  const inputShapes = new Map<string, Shape>();
  const xs = c.inputs.map((input, i) => {
    const name = `x${i}`;
    g.input(name, 'float32', input.shape);
    inputShapes.set(name, input.shape);
    return name;
  });
  const shapes = new ShapeTable(inputShapes);
  const ctx = new GradContext(g, shapes, floatType, c.gather);
  const y = c.build(ctx, xs);
  const yShape = ctx.shape(y);
  g.input('dy', 'float32', yShape);
  shapes.set('dy', yShape);
  const grads = appendBackward(g, shapes, { seeds: new Map([[y, 'dy']]), wrt: xs, floatType, gatherGradient: c.gather });
  const yOut = g.output('y', y, yShape);
  const gradOut = xs.map((x, i) => g.output(`grad_${x}`, grads.get(x)!, c.inputs[i].shape));
  const session = await createSession(g, c.name, { threads: 1, floatType });
  try {
    const values = c.inputs.map((input, i) => {
      const draws = normals(sizeOf(input.shape), seed * 100 + i);
      if (input.positive) return Float64Array.from(draws, (v) => 0.5 + 1.5 * Math.abs(Math.tanh(v)));
      if (input.awayFromZero) return Float64Array.from(draws, (v) => Math.sign(v) * (0.2 + Math.abs(v)));
      return Float64Array.from(draws);
    });
    const r = Float64Array.from(normals(sizeOf(yShape), seed * 100 + 99));
    const run = async () => {
      const feeds: Record<string, ort.Tensor> = { dy: new ort.Tensor('float64', r, [...yShape]) };
      xs.forEach((x, i) => (feeds[x] = new ort.Tensor('float64', values[i], [...c.inputs[i].shape])));
      return session.run(feeds);
    };
    const base = await run();
    const loss = async () => {
      const out = (await run())[yOut].data as Float64Array;
      let s = 0;
      for (let i = 0; i < out.length; i++) s += out[i] * r[i];
      return s;
    };
    let maxError = 0;
    const h = 1e-6;
    for (let i = 0; i < xs.length; i++) {
      const analytic = base[gradOut[i]].data as Float64Array;
      const scale = Math.max(1, ...Array.from(analytic, Math.abs));
      for (let j = 0; j < values[i].length; j++) {
        const saved = values[i][j];
        values[i][j] = saved + h;
        const up = await loss();
        values[i][j] = saved - h;
        const down = await loss();
        values[i][j] = saved;
        maxError = Math.max(maxError, Math.abs((up - down) / (2 * h) - analytic[j]) / scale);
      }
    }
    return { maxError };
  } finally {
    await session.release();
  }
}

const n = (ctx: GradContext, op: string, inputs: string[], attrs: Parameters<GradContext['node']>[2] = {}) => ctx.node(op, inputs, attrs);

const CASES: OpCase[] = [
  { name: 'Add (broadcast [4] and [1,3,1])', inputs: [{ shape: [2, 3, 4] }, { shape: [4] }, { shape: [1, 3, 1] }], build: (c, [a, b, d]) => n(c, 'Add', [n(c, 'Add', [a, b]), d]) },
  { name: 'Sub (broadcast)', inputs: [{ shape: [3, 1] }, { shape: [2, 3, 4] }], build: (c, [a, b]) => n(c, 'Sub', [a, b]) },
  { name: 'Mul (broadcast)', inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1] }], build: (c, [a, b]) => n(c, 'Mul', [a, b]) },
  { name: 'Div (broadcast)', inputs: [{ shape: [2, 3, 4] }, { shape: [2, 1, 4], positive: true }], build: (c, [a, b]) => n(c, 'Div', [a, b]) },
  { name: 'Sum of three', inputs: [{ shape: [2, 3] }, { shape: [3] }, { shape: [2, 1] }], build: (c, xs) => n(c, 'Sum', [...xs]) },
  { name: 'Where', inputs: [{ shape: [2, 5], awayFromZero: true }, { shape: [5] }], build: (c, [a, b]) => n(c, 'Where', [n(c, 'Greater', [a, c.scalar(0)]), a, b]) },
  { name: 'Neg, Exp', inputs: [{ shape: [7] }], build: (c, [a]) => n(c, 'Exp', [n(c, 'Neg', [a])]) },
  { name: 'Sqrt', inputs: [{ shape: [7], positive: true }], build: (c, [a]) => n(c, 'Sqrt', [a]) },
  { name: 'Sigmoid', inputs: [{ shape: [7] }], build: (c, [a]) => n(c, 'Sigmoid', [a]) },
  { name: 'Tanh', inputs: [{ shape: [7] }], build: (c, [a]) => n(c, 'Tanh', [a]) },
  { name: 'Relu', inputs: [{ shape: [9], awayFromZero: true }], build: (c, [a]) => n(c, 'Relu', [a]) },
  { name: 'MatMul with a [in,out] weight', inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }], build: (c, [a, b]) => n(c, 'MatMul', [a, b]) },
  { name: 'MatMul batched', inputs: [{ shape: [2, 3, 4, 5] }, { shape: [2, 3, 5, 2] }], build: (c, [a, b]) => n(c, 'MatMul', [a, b]) },
  { name: 'MatMul broadcast batch (GQA-style)', inputs: [{ shape: [2, 2, 3, 4, 5] }, { shape: [2, 1, 5, 3] }], build: (c, [a, b]) => n(c, 'MatMul', [a, b]) },
  ...[0, 1].flatMap((transA) =>
    [0, 1].map((transB): OpCase => ({
      name: `Gemm transA ${transA} transB ${transB} + bias`,
      inputs: [{ shape: transA ? [4, 3] : [3, 4] }, { shape: transB ? [5, 4] : [4, 5] }, { shape: [5] }],
      build: (c, [a, b, bias]) => n(c, 'Gemm', [a, b, bias], { transA, transB }),
    })),
  ),
  { name: 'Reshape (0, -1), Transpose', inputs: [{ shape: [2, 3, 4] }], build: (c, [a]) => n(c, 'Transpose', [n(c, 'Reshape', [a, c.ints([0, -1, 2])])], { perm: [2, 0, 1] }) },
  { name: 'Unsqueeze, Expand', inputs: [{ shape: [3, 4] }], build: (c, [a]) => n(c, 'Expand', [n(c, 'Unsqueeze', [a, c.ints([0])]), c.ints([2, 3, 4])]) },
  { name: 'Slice (axis 2, negative start)', inputs: [{ shape: [2, 3, 6] }], build: (c, [a]) => n(c, 'Slice', [a, c.ints([-4]), c.ints([5]), c.ints([2])]) },
  { name: 'Concat (rotary rotate_half)', inputs: [{ shape: [2, 3, 4] }, { shape: [2, 3, 2] }], build: (c, [a, b]) => n(c, 'Concat', [n(c, 'Neg', [b]), a], { axis: -1 }) },
  { name: 'ReduceSum (keepdims 0)', inputs: [{ shape: [2, 3, 4] }], build: (c, [a]) => n(c, 'ReduceSum', [a, c.ints([0, 2])], { keepdims: 0 }) },
  { name: 'ReduceMean (RMSNorm)', inputs: [{ shape: [2, 3, 4] }, { shape: [4] }], build: (c, [a, gain]) => n(c, 'Mul', [n(c, 'Div', [a, n(c, 'Sqrt', [n(c, 'Add', [n(c, 'ReduceMean', [n(c, 'Mul', [a, a]), c.ints([-1])], { keepdims: 1 }), c.scalar(1e-5)])])]), gain]) },
  { name: 'Softmax (last axis)', inputs: [{ shape: [2, 3, 5] }], build: (c, [a]) => n(c, 'Softmax', [a], { axis: -1 }) },
  { name: 'Softmax (axis 1)', inputs: [{ shape: [2, 4, 3] }], build: (c, [a]) => n(c, 'Softmax', [a], { axis: 1 }) },
  { name: 'LogSoftmax', inputs: [{ shape: [3, 6] }], build: (c, [a]) => n(c, 'LogSoftmax', [a], { axis: -1 }) },
  { name: 'LayerNormalization with bias', inputs: [{ shape: [2, 3, 8] }, { shape: [8] }, { shape: [8] }], build: (c, [a, gain, bias]) => n(c, 'LayerNormalization', [a, gain, bias], { axis: -1, epsilon: { float: 1e-5 } }), tolerance: 2e-7 },
  { name: 'LayerNormalization without bias', inputs: [{ shape: [4, 6] }, { shape: [6] }], build: (c, [a, gain]) => n(c, 'LayerNormalization', [a, gain], { axis: -1, epsilon: { float: 1e-5 } }), tolerance: 2e-7 },
  ...(['scatter', 'onehot'] as const).map(
    (gather): OpCase => ({
      name: `Gather (embedding, ${gather}; repeated ids)`,
      inputs: [{ shape: [6, 4] }],
      gather,
      build: (c, [table]) => n(c, 'Gather', [table, c.g.ints([1, 5, 1, 0, 5, 5], [2, 3])], { axis: 0 }),
    }),
  ),
  {
    // the weights of a slotted attention (model-io OnnxGraphOps.slottedAttentionPattern): a slot column
    // concatenated to the scores, sigmoid masked by a kept-keys product, normalised, split by open-ended slices
    name: 'slotted normalised sigmoid (Concat, Mul by a mask, ReduceSum, Div, Slice to the end)',
    inputs: [{ shape: [2, 3, 1] }, { shape: [2, 3, 3] }],
    build: (c, [slot, scores]) => {
      const keep = n(c, 'Cast', [c.g.floats([1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1], [1, 3, 4])], { to: 11 }); // [1, 3, 1 + 3], float64 here
      const w = n(c, 'Mul', [n(c, 'Sigmoid', [n(c, 'Concat', [slot, scores], { axis: 2 })]), keep]);
      const normalised = n(c, 'Div', [w, n(c, 'ReduceSum', [w, c.ints([-1])], { keepdims: 1 })]);
      return n(c, 'Concat', [n(c, 'Slice', [normalised, c.ints([1]), c.ints([2 ** 62]), c.ints([2])]), n(c, 'Slice', [normalised, c.ints([0]), c.ints([1]), c.ints([2])])], { axis: 2 });
    },
  },
  { name: 'Gather + tied Gemm (one table, two uses)', inputs: [{ shape: [5, 3] }, { shape: [4, 3] }], build: (c, [table, x]) => n(c, 'Concat', [n(c, 'Gemm', [x, table], { transB: 1 }), n(c, 'Gather', [table, c.g.ints([0, 2, 2, 4])], { axis: 0 })], { axis: 1 }) },
];

describe('gradient rules against central finite differences (float64 on ORT)', () => {
  it.each(CASES)('$name', async (c) => {
    const { maxError } = await checkAgainstFiniteDifferences(c);
    if (process.env.PRINT_GRAD_ERRORS) console.log(`${c.name}: ${maxError.toExponential(2)}`);
    expect(maxError).toBeLessThan(c.tolerance ?? 1e-8);
  });

  it('catches a wrong rule (the check can fail)', async () => {
    const rules = GRAD_RULES as Map<string, GradRule>;
    const right = rules.get('Sigmoid')!;
    rules.set('Sigmoid', (c, node, [dY]) => [c.node('Mul', [dY!, node.output![0]])]); // y instead of y (1 - y)
    try {
      const { maxError } = await checkAgainstFiniteDifferences({ name: 'wrong Sigmoid', inputs: [{ shape: [5] }], build: (c, [a]) => n(c, 'Sigmoid', [a]) });
      expect(maxError).toBeGreaterThan(0.01);
    } finally {
      rules.set('Sigmoid', right);
    }
  });
});

describe('float32-only ops against tf.grad', () => {
  beforeAll(() => useBackend('wasm'));

  it.each([
    { name: 'Gelu (exact)', onnx: (c: GradContext, x: string) => n(c, 'Gelu', [x], { approximate: 'none' }), tfjs: (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) },
    {
      name: 'Gelu (tanh)',
      onnx: (c: GradContext, x: string) => n(c, 'Gelu', [x], { approximate: 'tanh' }),
      tfjs: (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1)),
    },
    { name: 'Erf', onnx: (c: GradContext, x: string) => n(c, 'Erf', [x]), tfjs: (x: tf.Tensor) => tf.erf(x) },
    // ORT's CPU Softplus has float32 kernels only; -softplus(-x) is log sigmoid (model-io's sigmoid attention weights)
    { name: 'Softplus (log sigmoid)', onnx: (c: GradContext, x: string) => n(c, 'Neg', [n(c, 'Softplus', [n(c, 'Neg', [x])])]), tfjs: (x: tf.Tensor) => tf.logSigmoid(x) },
    // ORT's CPU Elu has float32 kernels only
    { name: 'Elu (+ 1: linear attention features)', onnx: (c: GradContext, x: string) => n(c, 'Add', [n(c, 'Elu', [x]), c.scalar(1)]), tfjs: (x: tf.Tensor) => tf.add(tf.elu(x), 1) },
  ])('$name', async ({ onnx, tfjs }) => {
    const shape = [64];
    const x = Float32Array.from(normals(64, 5), (v) => 2 * v);
    const r = Float32Array.from(normals(64, 6));
    const g = new GraphBuilder();
    g.input('x', 'float32', shape);
    g.input('dy', 'float32', shape);
    const shapes = new ShapeTable(new Map([['x', shape], ['dy', shape]]));
    const y = onnx(new GradContext(g, shapes, 'float32'), 'x');
    const grad = appendBackward(g, shapes, { seeds: new Map([[y, 'dy']]), wrt: ['x'] }).get('x')!;
    const gradOut = g.output('grad', grad, shape);
    const session = await createSession(g, 'f32', { threads: 1 });
    const got = (await session.run({ x: new ort.Tensor('float32', x, shape), dy: new ort.Tensor('float32', r, shape) }))[gradOut].data as Float32Array;
    await session.release();
    const expected = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tfjs(t), tf.tensor1d(r))))(tf.tensor1d(x)).dataSync() as Float32Array);
    let maxError = 0;
    for (let i = 0; i < x.length; i++) maxError = Math.max(maxError, Math.abs(got[i] - expected[i]));
    if (process.env.PRINT_GRAD_ERRORS) console.log(`float32 max abs error ${maxError.toExponential(2)}`);
    expect(maxError).toBeLessThan(2e-6);
  });
});
