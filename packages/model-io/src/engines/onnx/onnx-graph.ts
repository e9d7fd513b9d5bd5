import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxPkg from 'onnx-proto';
import type { HostArray } from '../../host-array.js';

const { onnx } = onnxPkg;
/** Attribute values: integers, strings, integer lists, or `{ float }` for a FLOAT attribute. */
type AttributeValue = number | string | readonly number[] | { readonly float: number };

/** ONNX opset the traced graphs use: Gelu (approximate none/tanh) needs 20, LayerNormalization 17. */
export const OPSET = 20;
/** The external-data file beside the model file: every initializer's bytes, each at a page-aligned offset. */
const WEIGHTS_FILE = 'weights.bin';
/** Alignment of each initializer in the weights file, so ORT can memory-map it in place. */
const ALIGN = 65536;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const BOOL = onnx.TensorProto.DataType.BOOL;

export type ElemType = 'float32' | 'int64' | 'bool';
const ELEM: Record<ElemType, number> = { float32: FLOAT, int64: INT64, bool: BOOL };

/** A graph input or output dimension: a fixed size or a symbolic name (dynamic batch / sequence). */
export type Dim = number | string;

/** What `encode` hands to `InferenceSession.create`: a model file whose weights sit in a file beside it. */
export interface EncodedModel {
  readonly modelPath: string;
  /** Temporary folder holding the model and weights files: remove it once the session exists. */
  readonly dir: string;
  /** Float32 bytes of every initializer the graph uses. */
  readonly weightBytes: number;
}

/**
 * A minimal ONNX graph under construction. Values are named strings; weights become initializers
 * stored as external data in a temporary file, written as each weight arrives. ORT memory-maps that
 * file at session creation instead of copying: the host arrays can go as soon as they are written
 * (peak host memory is one layer's weights, not the model's), and ORT holds one copy of the weights
 * in file-backed pages (in-memory external data made ORT hold two copies while the session was built).
 * The folder can be deleted once the session exists (the mapping stays valid).
 */
export class GraphBuilder {
  private readonly nodes: onnxPkg.onnx.INodeProto[] = [];
  private readonly initializers = new Map<string, { dims: readonly number[]; offset: number; length: number }>();
  private readonly constants = new Map<string, string>();
  private readonly inputs: onnxPkg.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxPkg.onnx.IValueInfoProto[] = [];
  private readonly outputNames = new Set<string>();
  private counter = 0;
  private readonly dir = mkdtempSync(join(tmpdir(), 'sinkscope-onnx-'));
  private fd: number | undefined = openSync(join(this.dir, WEIGHTS_FILE), 'w');
  private fileLength = 0;

  /** A fresh value name; `hint` keeps graphs readable in Netron. */
  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  /** Emit one node; returns its (first) output name. */
  node(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, outputs?: readonly string[]): string {
    const out = outputs ?? [this.fresh(opType.toLowerCase())];
    this.nodes.push({
      opType,
      input: [...inputs],
      output: [...out],
      name: `${opType}_${this.nodes.length}`,
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return out[0];
  }

  /** A weight: an initializer named `name`; its bytes go to the weights file now (the array can be dropped). */
  weight(name: string, array: HostArray): string {
    if (this.initializers.has(name)) throw new Error(`graph: initializer '${name}' is defined twice`);
    if (this.fd === undefined) throw new Error('graph: already encoded');
    const offset = Math.ceil(this.fileLength / ALIGN) * ALIGN;
    const bytes = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
    for (let done = 0; done < bytes.byteLength; ) done += writeSync(this.fd, bytes, done, bytes.byteLength - done, offset + done);
    this.fileLength = offset + bytes.byteLength;
    this.initializers.set(name, { dims: [...array.shape], offset, length: bytes.byteLength });
    return name;
  }

  /** A float32 constant (deduplicated by value). */
  floats(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant('float32', values, dims);
  }

  /** An int64 constant (axes, shapes, slice bounds), deduplicated by value. */
  ints(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant('int64', values, dims);
  }

  scalar(value: number): string {
    return this.constant('float32', [value], []);
  }

  private constant(type: 'float32' | 'int64', values: readonly number[], dims: readonly number[]): string {
    const key = `${type}:${dims.join('x')}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.fresh(type === 'int64' ? 'const_i' : 'const_f');
      const value: onnxPkg.onnx.ITensorProto =
        type === 'int64'
          ? { dims: [...dims], dataType: INT64, int64Data: values.map((v) => v) }
          : { dims: [...dims], dataType: FLOAT, floatData: [...values] };
      this.nodes.push({ opType: 'Constant', input: [], output: [name], name: `Constant_${name}`, attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: value }] });
      this.constants.set(key, name);
    }
    return name;
  }

  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /**
   * Make `value` a graph output and return the output's name: the value itself (so ORT writes the
   * producing node's result straight into the output, no copy), or an Identity named `name` when the
   * value is a graph input or already an output (one value captured under two hook names).
   */
  output(name: string, value: string, dims: readonly Dim[]): string {
    const isInput = this.inputs.some((i) => i.name === value);
    const out = isInput || this.outputNames.has(value) ? this.node('Identity', [value], {}, [name]) : value;
    if (this.outputNames.has(out)) throw new Error(`graph: output '${out}' is defined twice`);
    this.outputNames.add(out);
    this.outputs.push(valueInfo(out, 'float32', dims));
    return out;
  }

  /**
   * The nodes emitted so far, in emission (= topological) order. Graph transforms that extend a traced
   * forward pass read it (@sinkscope/train's reverse-mode autodiff); a transform may append optional
   * outputs to a node (LayerNormalization's mean and inverse std) before `encode`.
   */
  get nodeList(): readonly onnxPkg.onnx.INodeProto[] {
    return this.nodes;
  }

  get inputNames(): string[] {
    return this.inputs.map((i) => i.name as string);
  }

  /**
   * Write the model file beside the weights. Initializers no node reads are left out of the graph,
   * so a graph that stops early does not map them.
   */
  encode(graphName: string): EncodedModel {
    if (this.fd === undefined) throw new Error('graph: already encoded');
    closeSync(this.fd);
    this.fd = undefined;
    const used = new Set<string>();
    for (const n of this.nodes) for (const i of n.input ?? []) used.add(i);
    const initializer: onnxPkg.onnx.ITensorProto[] = [];
    let weightBytes = 0;
    for (const [name, { dims, offset, length }] of this.initializers) {
      if (!used.has(name)) continue;
      weightBytes += length;
      initializer.push({
        name,
        dims: [...dims],
        dataType: FLOAT,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: WEIGHTS_FILE },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(length) },
        ],
      });
    }
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'sinkscope',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: { name: graphName, node: this.nodes, initializer, input: this.inputs, output: this.outputs },
    });
    const modelPath = join(this.dir, 'model.onnx');
    writeFileSync(modelPath, onnx.ModelProto.encode(model).finish());
    return { modelPath, dir: this.dir, weightBytes };
  }

  /** Remove the temporary files (after a failed trace; a built session's caller removes `dir`). */
  discard(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function attribute(name: string, value: AttributeValue): onnxPkg.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`graph: attribute '${name}' = ${value} is not an integer (wrap floats as { float })`);
    return { name, type: T.INT, i: value };
  }
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.INTS, ints: [...value] };
}

function valueInfo(name: string, type: ElemType, dims: readonly Dim[]): onnxPkg.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: ELEM[type], shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}
