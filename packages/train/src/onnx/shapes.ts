import type onnxPkg from 'onnx-proto';

export type OnnxNode = onnxPkg.onnx.INodeProto;
export type Shape = readonly number[];

/** An attribute of a node by name (undefined when absent). */
export function attr(node: OnnxNode, name: string): onnxPkg.onnx.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

export function intAttr(node: OnnxNode, name: string, fallback: number): number {
  const a = attr(node, name);
  return a?.i === undefined || a.i === null ? fallback : Number(a.i);
}

export function intsAttr(node: OnnxNode, name: string): number[] | undefined {
  const a = attr(node, name);
  return a?.ints ? a.ints.map(Number) : undefined;
}

export function stringAttr(node: OnnxNode, name: string, fallback: string): string {
  const a = attr(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : fallback;
}

export function floatAttr(node: OnnxNode, name: string, fallback: number): number {
  const a = attr(node, name);
  return a?.f === undefined || a.f === null ? fallback : a.f;
}

export function sizeOf(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Numpy broadcasting of two shapes (ONNX multidirectional broadcasting). */
export function broadcastShapes(a: Shape, b: Shape, where: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`${where}: shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

const normAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Where', 'Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Sum', 'Max', 'Min', 'Mean']);
const SAME_SHAPE = new Set([
  'Neg', 'Sqrt', 'Relu', 'Gelu', 'FastGelu', 'Sigmoid', 'Tanh', 'Erf', 'Exp', 'Log', 'Softmax', 'LogSoftmax', 'Identity', 'Cast', 'CastLike',
  'Sign', 'Abs', 'Reciprocal', 'Not', 'Elu', 'Softplus',
]);
const REDUCE = new Set(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSumSquare', 'ReduceL2', 'ReduceProd']);

/**
 * Static shapes of a traced graph's values, and the values of the small int64 tensors that shape
 * computations use (constants, Shape, Slice, Concat, ...), so Reshape targets with dynamic parts
 * resolve. A training step has one fixed batch shape, so every gradient rule can reduce broadcasts
 * and build reshapes from numbers instead of emitting shape arithmetic into the graph.
 */
export class ShapeTable {
  private readonly shapes = new Map<string, Shape>();
  private readonly ints = new Map<string, readonly number[]>();
  private processed = 0;

  constructor(inputs: ReadonlyMap<string, Shape> = new Map()) {
    for (const [name, shape] of inputs) this.shapes.set(name, shape);
  }

  set(name: string, shape: Shape): void {
    this.shapes.set(name, shape);
  }

  has(name: string): boolean {
    return this.shapes.has(name);
  }

  shape(name: string): Shape {
    const s = this.shapes.get(name);
    if (!s) throw new Error(`shape of '${name}' is unknown (an input without a declared shape, or an op the shape table does not know)`);
    return s;
  }

  /** The value of a small int64 tensor known at build time, or undefined. */
  intValue(name: string): readonly number[] | undefined {
    return this.ints.get(name);
  }

  private requireInts(name: string, node: OnnxNode): readonly number[] {
    const v = this.ints.get(name);
    if (!v) throw new Error(`${node.opType} '${node.name}': input '${name}' is not a build-time constant`);
    return v;
  }

  /** Infer every node not seen yet (nodes are appended in topological order). */
  update(nodes: readonly OnnxNode[]): void {
    for (; this.processed < nodes.length; this.processed++) this.infer(nodes[this.processed]);
  }

  private infer(node: OnnxNode): void {
    const op = node.opType ?? '';
    const inputs = node.input ?? [];
    const outputs = node.output ?? [];
    const where = `${op} '${node.name}'`;
    const s = (i: number) => this.shape(inputs[i]);
    const out = (shape: Shape, i = 0) => this.shapes.set(outputs[i], shape);
    if (op === 'Constant') {
      const t = attr(node, 'value')?.t;
      if (!t) throw new Error(`${where}: only tensor constants are supported`);
      out((t.dims ?? []).map(Number));
      if (t.int64Data && t.int64Data.length > 0) this.ints.set(outputs[0], t.int64Data.map(Number));
      return;
    }
    if (ELEMENTWISE.has(op)) {
      let shape: Shape = s(0);
      for (let i = 1; i < inputs.length; i++) shape = broadcastShapes(shape, s(i), where);
      out(shape);
      return;
    }
    if (SAME_SHAPE.has(op)) {
      out(s(0));
      const v = this.ints.get(inputs[0]);
      if (v && (op === 'Identity' || op === 'Cast')) this.ints.set(outputs[0], v);
      return;
    }
    if (REDUCE.has(op)) {
      const x = s(0);
      const axesInput = inputs[1] ? this.requireInts(inputs[1], node) : intsAttr(node, 'axes');
      const keep = intAttr(node, 'keepdims', 1) === 1;
      const axes = new Set((axesInput && axesInput.length > 0 ? axesInput : x.map((_, i) => i)).map((a) => normAxis(a, x.length)));
      out(keep ? x.map((n, i) => (axes.has(i) ? 1 : n)) : x.filter((_, i) => !axes.has(i)));
      return;
    }
    switch (op) {
      case 'Shape': {
        const x = s(0);
        out([x.length]);
        this.ints.set(outputs[0], x);
        return;
      }
      case 'Slice': {
        const x = s(0);
        const starts = this.requireInts(inputs[1], node);
        const ends = this.requireInts(inputs[2], node);
        const axes = inputs[3] ? this.requireInts(inputs[3], node) : starts.map((_, i) => i);
        const steps = inputs[4] ? this.requireInts(inputs[4], node) : starts.map(() => 1);
        const shape = [...x];
        const bounds = sliceBounds(x, starts, ends, axes, steps, where);
        for (const b of bounds) shape[b.axis] = b.end - b.start;
        out(shape);
        const v = this.ints.get(inputs[0]);
        if (v && x.length === 1) this.ints.set(outputs[0], v.slice(bounds[0].start, bounds[0].end));
        return;
      }
      case 'Concat': {
        const shapes = inputs.map((_, i) => s(i));
        const axis = normAxis(intAttr(node, 'axis', 0), shapes[0].length);
        const shape = [...shapes[0]];
        shape[axis] = shapes.reduce((sum, sh) => sum + sh[axis], 0);
        out(shape);
        const values = inputs.map((i) => this.ints.get(i));
        if (shapes[0].length === 1 && values.every((v) => v !== undefined)) this.ints.set(outputs[0], values.flatMap((v) => [...v!]));
        return;
      }
      case 'Unsqueeze': {
        const x = s(0);
        const axes = this.requireInts(inputs[1], node);
        const rank = x.length + axes.length;
        const at = new Set(axes.map((a) => normAxis(a, rank)));
        const shape: number[] = [];
        let j = 0;
        for (let i = 0; i < rank; i++) shape.push(at.has(i) ? 1 : x[j++]);
        out(shape);
        const v = this.ints.get(inputs[0]);
        if (v) this.ints.set(outputs[0], v);
        return;
      }
      case 'Squeeze': {
        const x = s(0);
        const axes = inputs[1] ? new Set(this.requireInts(inputs[1], node).map((a) => normAxis(a, x.length))) : new Set(x.flatMap((n, i) => (n === 1 ? [i] : [])));
        out(x.filter((_, i) => !axes.has(i)));
        return;
      }
      case 'Reshape': {
        out(resolveReshape(s(0), this.requireInts(inputs[1], node), where));
        return;
      }
      case 'Flatten': {
        const x = s(0);
        const axis = normAxis(intAttr(node, 'axis', 1), x.length);
        out([sizeOf(x.slice(0, axis)), sizeOf(x.slice(axis))]);
        return;
      }
      case 'Transpose': {
        const x = s(0);
        const perm = intsAttr(node, 'perm') ?? x.map((_, i) => x.length - 1 - i);
        out(perm.map((p) => x[p]));
        return;
      }
      case 'MatMul': {
        out(matmulShape(s(0), s(1), where));
        return;
      }
      case 'Gemm': {
        const [a, b] = [s(0), s(1)];
        const m = intAttr(node, 'transA', 0) ? a[1] : a[0];
        const n = intAttr(node, 'transB', 0) ? b[0] : b[1];
        out([m, n]);
        return;
      }
      case 'Gather': {
        const data = s(0);
        const axis = normAxis(intAttr(node, 'axis', 0), data.length);
        out([...data.slice(0, axis), ...s(1), ...data.slice(axis + 1)]);
        const v = this.ints.get(inputs[0]);
        const idx = this.ints.get(inputs[1]);
        if (v && idx && data.length === 1) this.ints.set(outputs[0], idx.map((i) => v[i < 0 ? i + v.length : i]));
        return;
      }
      case 'GatherElements':
        out(s(1));
        return;
      case 'LayerNormalization': {
        const x = s(0);
        const axis = normAxis(intAttr(node, 'axis', -1), x.length);
        out(x);
        const stats = x.map((n, i) => (i < axis ? n : 1));
        for (let i = 1; i < outputs.length; i++) if (outputs[i]) out(stats, i);
        return;
      }
      case 'Expand': {
        out(broadcastShapes(s(0), this.requireInts(inputs[1], node), where));
        return;
      }
      case 'Pad': {
        const x = s(0);
        const pads = this.requireInts(inputs[1], node);
        out(x.map((n, i) => n + pads[i] + pads[i + x.length]));
        return;
      }
      case 'ScatterND':
      case 'ScatterElements':
        out(s(0));
        return;
      case 'OneHot': {
        const idx = s(0);
        const depth = this.requireInts(inputs[1], node)[0];
        const rank = idx.length + 1;
        const axis = normAxis(intAttr(node, 'axis', -1), rank);
        out([...idx.slice(0, axis), depth, ...idx.slice(axis)]);
        return;
      }
      case 'ConstantOfShape': {
        out(this.requireInts(inputs[0], node));
        return;
      }
      default:
        // unknown ops leave their outputs without a shape; asking for one is an error naming the value
        return;
    }
  }
}

/** Clamped [start, end) per sliced axis (step 1 only: what the traced graphs and the gradient rules emit). */
export function sliceBounds(x: Shape, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps: readonly number[], where: string) {
  return starts.map((startRaw, i) => {
    if (steps[i] !== 1) throw new Error(`${where}: slices with step ${steps[i]} are not supported`);
    const axis = normAxis(axes[i], x.length);
    const n = x[axis];
    const clamp = (v: number) => Math.min(n, Math.max(0, v < 0 ? v + n : v));
    const start = clamp(startRaw);
    return { axis, start, end: Math.max(start, clamp(ends[i])) };
  });
}

/** ONNX Reshape target with 0 (copy the input's dim) and one -1 (inferred) resolved. */
export function resolveReshape(x: Shape, target: readonly number[], where: string): number[] {
  const shape = target.map((d, i) => (d === 0 ? x[i] : d));
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const total = sizeOf(x);
  const resolved = shape.map((d) => (d === -1 ? total / known : d));
  if (sizeOf(resolved) !== total || resolved.some((d) => !Number.isInteger(d))) throw new Error(`${where}: cannot reshape [${x}] to [${target}]`);
  return resolved;
}

/** numpy.matmul shapes for rank >= 2 operands (batch dims broadcast). */
export function matmulShape(a: Shape, b: Shape, where: string): number[] {
  if (a.length < 2 || b.length < 2) throw new Error(`${where}: MatMul with a 1-D operand is not supported`);
  if (a[a.length - 1] !== b[b.length - 2]) throw new Error(`${where}: MatMul shapes [${a}] x [${b}] do not match`);
  const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2), where);
  return [...batch, a[a.length - 2], b[b.length - 1]];
}
