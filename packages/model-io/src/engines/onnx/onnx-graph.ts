import { closeSync, mkdtempSync, openSync, realpathSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import onnxPkg from 'onnx-proto';
import { recipeOf, type StoredTensor, type WeightRecipe } from '../../deferred-array.js';
import type { HostArray } from '../../host-array.js';

const { onnx } = onnxPkg;
/** Attribute values: integers, strings, integer lists, or `{ float }` for a FLOAT attribute. */
type AttributeValue = number | string | readonly number[] | { readonly float: number };

/** ONNX opset the traced graphs use: Gelu (approximate none/tanh) needs 20, LayerNormalization 17. */
export const OPSET = 20;
/** ONNX Runtime's contrib operators (FusedMatMul, ...): CPU and CUDA providers implement them. */
export const CONTRIB_DOMAIN = 'com.microsoft';
/** The external-data file beside the model file: every initializer's bytes, each at a page-aligned offset. */
const WEIGHTS_FILE = 'weights.bin';
/** Alignment of each initializer in the weights file, so ORT can memory-map it in place. */
const ALIGN = 65536;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const BOOL = onnx.TensorProto.DataType.BOOL;
/** ONNX element types of the stored float dtypes a weight recipe starts from. */
const STORED_TYPE: Record<StoredTensor['dtype'], number> = {
  F32: FLOAT,
  F16: onnx.TensorProto.DataType.FLOAT16,
  BF16: onnx.TensorProto.DataType.BFLOAT16,
  F64: onnx.TensorProto.DataType.DOUBLE,
};

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
 * What `encodeInPlace` hands to `InferenceSession.create`: the model's bytes, whose stored weights are
 * external data in the checkpoint's own safetensors files (`externalDataFolder`, ORT's
 * `session.model_external_initializers_file_folder_path`).
 */
export interface InPlaceModel {
  readonly bytes: Uint8Array;
  /** The folder of the safetensors files the external data points into (undefined: no stored weights). */
  readonly externalDataFolder: string | undefined;
  /** Bytes of the stored tensors the graph references, as stored (each once). */
  readonly storedBytes: number;
  /** Bytes of the weights embedded in the model itself (arrays that are not deferred: small ones in practice). */
  readonly embeddedBytes: number;
}

/**
 * Where a graph's weights go:
 * - `temporary-file` (default): every weight's float32 values are written to a temporary external-data
 *   file as it arrives (`encode`); ORT memory-maps that file at session creation instead of copying,
 *   so the host arrays can go at once (peak host memory is one layer's weights), and the folder can be
 *   deleted once the session exists (the mapping stays valid).
 * - `in-place` (`encodeInPlace`): a deferred weight (deferred-array.ts) becomes an initializer whose
 *   external data is its bytes in the checkpoint's safetensors file, as stored (F32, F16, BF16 or F64),
 *   followed by its recipe as nodes (Cast to float32, Transpose, Slice, Gather, Add), which ORT's
 *   constant folding evaluates once at session creation. Nothing is copied or written on the host; an
 *   F32 weight the forward pass uses as stored stays a read-only mapping of the checkpoint. Other
 *   weights are embedded in the model.
 */
export interface GraphBuilderOptions {
  readonly weights?: 'temporary-file' | 'in-place';
}

/** A minimal ONNX graph under construction. Values are named strings; weights become initializers (see GraphBuilderOptions). */
export class GraphBuilder {
  private readonly nodes: onnxPkg.onnx.INodeProto[] = [];
  private readonly initializers = new Map<string, { dims: readonly number[]; offset: number; length: number }>();
  private readonly constants = new Map<string, string>();
  private readonly inputs: onnxPkg.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxPkg.onnx.IValueInfoProto[] = [];
  private readonly outputNames = new Set<string>();
  private counter = 0;
  private readonly inPlace: boolean;
  private readonly dir: string | undefined;
  private fd: number | undefined;
  private fileLength = 0;
  private encoded = false;
  /** In place: stored tensors referenced (by file and offset), the value each recipe produced (by recipe), embedded arrays. */
  private readonly stored = new Map<string, { name: string; tensor: StoredTensor }>();
  private readonly recipeValues = new Map<string, string>();
  private readonly embedded = new Map<string, HostArray>();
  /** Nodes emitted for weight recipes: dropped at encoding when nothing reads them (a transpose a Gemm reads through). */
  private readonly recipeNodes = new Set<onnxPkg.onnx.INodeProto>();
  /** Output -> input of every recipe Transpose ([out, in] weights a linear can read untransposed). */
  private readonly recipeTransposes = new Map<string, string>();

  constructor(options: GraphBuilderOptions = {}) {
    this.inPlace = options.weights === 'in-place';
    if (!this.inPlace) {
      this.dir = mkdtempSync(join(tmpdir(), 'sinkscope-onnx-'));
      this.fd = openSync(join(this.dir, WEIGHTS_FILE), 'w');
    }
  }

  /** A fresh value name; `hint` keeps graphs readable in Netron. */
  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  /** Emit one node (of ORT's `com.microsoft` contrib domain when `domain` says so); returns its (first) output name. */
  node(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, outputs?: readonly string[], domain?: typeof CONTRIB_DOMAIN): string {
    const out = outputs ?? [this.fresh(opType.toLowerCase())];
    this.nodes.push({
      ...(domain ? { domain } : {}),
      opType,
      input: [...inputs],
      output: [...out],
      name: `${opType}_${this.nodes.length}`,
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return out[0];
  }

  /**
   * A weight named `name`. Temporary-file mode: an initializer whose bytes go to the weights file now
   * (the array can be dropped). In place: the value its recipe computes from the stored tensor
   * (deferred arrays), or an embedded initializer.
   */
  weight(name: string, array: HostArray): string {
    if (this.initializers.has(name) || this.embedded.has(name)) throw new Error(`graph: initializer '${name}' is defined twice`);
    if (this.encoded) throw new Error('graph: already encoded');
    if (this.inPlace) {
      const recipe = recipeOf(array);
      if (recipe) return this.recipeValue(recipe);
      this.embedded.set(name, { shape: [...array.shape], data: array.data });
      return name;
    }
    if (this.fd === undefined) throw new Error('graph: already encoded');
    const offset = Math.ceil(this.fileLength / ALIGN) * ALIGN;
    const bytes = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
    for (let done = 0; done < bytes.byteLength; ) done += writeSync(this.fd, bytes, done, bytes.byteLength - done, offset + done);
    this.fileLength = offset + bytes.byteLength;
    this.initializers.set(name, { dims: [...array.shape], offset, length: bytes.byteLength });
    return name;
  }

  /** The float32 value a weight recipe computes, as nodes over the stored tensor (each recipe and tensor once). */
  private recipeValue(recipe: WeightRecipe): string {
    const key = recipeKey(recipe);
    let value = this.recipeValues.get(key);
    if (value !== undefined) return value;
    const emit = (op: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}) => {
      const out = this.node(op, inputs, attributes);
      this.recipeNodes.add(this.nodes[this.nodes.length - 1]);
      return out;
    };
    switch (recipe.op) {
      case 'stored': {
        const { tensor } = recipe;
        const raw = this.storedInitializer(tensor);
        value = tensor.dtype === 'F32' ? raw : emit('Cast', [raw], { to: FLOAT }); // exact for F16 and BF16; F64 rounds to nearest, as Float32Array does
        break;
      }
      case 'transpose': {
        const of = this.recipeValue(recipe.of);
        value = emit('Transpose', [of], { perm: [1, 0] });
        this.recipeTransposes.set(value, of);
        break;
      }
      case 'sliceColumns':
        value = emit('Slice', [this.recipeValue(recipe.of), this.ints([recipe.start]), this.ints([recipe.start + recipe.count]), this.ints([1])]);
        break;
      case 'slice1d':
        value = emit('Slice', [this.recipeValue(recipe.of), this.ints([recipe.start]), this.ints([recipe.start + recipe.count]), this.ints([0])]);
        break;
      case 'gatherRows':
        value = emit('Gather', [this.recipeValue(recipe.of), this.ints(recipe.rows)], { axis: 0 });
        break;
      case 'addScalar':
        value = emit('Add', [this.recipeValue(recipe.of), this.scalar(recipe.value)]);
        break;
    }
    this.recipeValues.set(key, value);
    return value;
  }

  /** The initializer holding a stored tensor's bytes as external data (one per tensor). */
  private storedInitializer(tensor: StoredTensor): string {
    const key = `${tensor.file}:${tensor.offset}`;
    let entry = this.stored.get(key);
    if (!entry) {
      const folder = [...this.stored.values()][0]?.tensor.file;
      if (folder !== undefined && dirname(folder) !== dirname(tensor.file)) {
        throw new Error(`graph: stored weights from two folders (${dirname(folder)}, ${dirname(tensor.file)})`);
      }
      entry = { name: `stored_${this.stored.size}`, tensor };
      this.stored.set(key, entry);
    }
    return entry.name;
  }

  /**
   * When `value` is a weight recipe's transpose of an [out, in] matrix: that matrix, so a linear layer
   * can multiply by it transposed (Gemm transB) and the transposed copy is never made.
   */
  transposedSource(value: string): string | undefined {
    return this.recipeTransposes.get(value);
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
    if (this.inPlace) throw new Error('graph: an in-place graph is encoded with encodeInPlace');
    if (this.fd === undefined || this.dir === undefined) throw new Error('graph: already encoded');
    closeSync(this.fd);
    this.fd = undefined;
    this.encoded = true;
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
      opsetImport: this.opsetImport(),
      graph: { name: graphName, node: this.nodes, initializer, input: this.inputs, output: this.outputs },
    });
    const modelPath = join(this.dir, 'model.onnx');
    writeFileSync(modelPath, onnx.ModelProto.encode(model).finish());
    return { modelPath, dir: this.dir, weightBytes };
  }

  /**
   * The model's bytes, stored weights pointing into the checkpoint's files (in-place mode). Recipe
   * nodes nothing reads are dropped (a transpose a Gemm reads through), and with them the stored
   * tensors only they read.
   */
  encodeInPlace(graphName: string): InPlaceModel {
    if (!this.inPlace) throw new Error('graph: encodeInPlace needs a builder made with { weights: "in-place" }');
    if (this.encoded) throw new Error('graph: already encoded');
    this.encoded = true;
    const used = new Set<string>(this.outputs.map((o) => o.name as string));
    for (const n of this.nodes) if (!this.recipeNodes.has(n)) for (const i of n.input ?? []) used.add(i);
    const live = new Set<onnxPkg.onnx.INodeProto>();
    for (const n of [...this.recipeNodes].reverse()) {
      if ((n.output ?? []).some((o) => used.has(o))) {
        live.add(n);
        for (const i of n.input ?? []) used.add(i);
      }
    }
    const nodes = this.nodes.filter((n) => !this.recipeNodes.has(n) || live.has(n));
    const initializer: onnxPkg.onnx.ITensorProto[] = [];
    let storedBytes = 0;
    const storedUsed = [...this.stored.values()].filter(({ name }) => used.has(name));
    const { folder, location } = externalDataLocations(storedUsed.map(({ tensor }) => tensor.file));
    for (const { name, tensor } of storedUsed) {
      storedBytes += tensor.byteLength;
      initializer.push({
        name,
        dims: [...tensor.shape],
        dataType: STORED_TYPE[tensor.dtype],
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: location.get(tensor.file)! },
          { key: 'offset', value: String(tensor.offset) },
          { key: 'length', value: String(tensor.byteLength) },
        ],
      });
    }
    let embeddedBytes = 0;
    for (const [name, array] of this.embedded) {
      if (!used.has(name)) continue;
      const { data } = array;
      embeddedBytes += data.byteLength;
      initializer.push({ name, dims: [...array.shape], dataType: FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    }
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'sinkscope',
      opsetImport: this.opsetImport(),
      graph: { name: graphName, node: nodes, initializer, input: this.inputs, output: this.outputs },
    });
    this.embedded.clear();
    return { bytes: onnx.ModelProto.encode(model).finish(), externalDataFolder: folder, storedBytes, embeddedBytes };
  }

  private opsetImport(): onnxPkg.onnx.IOperatorSetIdProto[] {
    const contrib = this.nodes.some((n) => n.domain === CONTRIB_DOMAIN);
    return [{ domain: '', version: OPSET }, ...(contrib ? [{ domain: CONTRIB_DOMAIN, version: 1 }] : [])];
  }

  /** Remove the temporary files (after a failed trace; a built session's caller removes `dir`). */
  discard(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.embedded.clear();
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A recipe's identity: the stored tensor by file and offset, then the steps. */
function recipeKey(r: WeightRecipe): string {
  if (r.op === 'stored') return `${r.tensor.file}:${r.tensor.offset}`;
  const { of, ...step } = r;
  return `${JSON.stringify(step)}(${recipeKey(of)})`;
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

/**
 * Where ORT finds each safetensors file: ORT resolves symlinks and refuses external data outside the
 * folder it is given, and the Hugging Face cache's snapshot files are symlinks into `blobs/` (a user's
 * folder may link shards from anywhere). So locations are the files' real paths, relative to the
 * deepest folder that holds them all.
 */
function externalDataLocations(files: readonly string[]): { folder: string | undefined; location: Map<string, string> } {
  const real = new Map<string, string>();
  for (const file of files) if (!real.has(file)) real.set(file, realpathSync(file));
  const dirs = [...new Set([...real.values()].map((r) => dirname(r)))];
  if (dirs.length === 0) return { folder: undefined, location: new Map() };
  let folder = dirs[0]!;
  for (const dir of dirs.slice(1)) {
    while (dir !== folder && !dir.startsWith(folder.endsWith(sep) ? folder : folder + sep)) folder = dirname(folder);
  }
  const location = new Map([...real].map(([file, path]) => [file, relative(folder, path)]));
  return { folder, location };
}
