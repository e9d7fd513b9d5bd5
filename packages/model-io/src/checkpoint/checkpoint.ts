import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ArchSpec } from '../arch-spec.js';
import { checkArch, configFieldFor } from '../config/arch-check.js';
import { ConfigError, ConfigReader } from '../config/config-reader.js';
import type { FamilyAdapter, WeightReader } from '../families/adapter.js';
import type { StoredTensor } from '../deferred-array.js';
import type { HostArray } from '../host-array.js';
import { familyFor, supportedModelTypes } from '../families/registry.js';
import { SafetensorsError } from '../safetensors/errors.js';
import { SafetensorsFile } from '../safetensors/file.js';
import { isFloatDtype, nonFiniteFloats } from '../safetensors/finite-scan.js';
import type { SafetensorsDtype } from '../safetensors/dtypes.js';

/** A tensor the family adapter expects but the checkpoint lacks (or has with the wrong shape). */
export class MissingWeightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingWeightError';
  }
}

/** What an engine records about the checkpoint it loaded (`inspect`, artifacts). */
export interface CheckpointInfo {
  readonly dir: string;
  readonly weightFiles: readonly string[];
  readonly storedDtypes: Readonly<Record<string, number>>;
  readonly float32Bytes: number;
  /** Checkpoint tensors the forward pass does not use (e.g. stale buffers). */
  readonly unusedTensors: readonly string[];
}

/**
 * A Hugging Face checkpoint folder: `config.json` plus `model.safetensors`, or sharded
 * `model-0000K-of-0000N.safetensors` with `model.safetensors.index.json`. Tensors are read on demand.
 */
export class Checkpoint implements WeightReader {
  private readonly consumed = new Set<string>();

  private constructor(
    readonly dir: string,
    readonly config: ConfigReader,
    readonly family: FamilyAdapter,
    readonly arch: ArchSpec,
    private readonly files: readonly SafetensorsFile[],
    private readonly fileOf: ReadonlyMap<string, SafetensorsFile>,
  ) {}

  static open(dir: string): Checkpoint {
    const root = resolve(dir);
    if (!existsSync(root) || !statSync(root).isDirectory()) {
      throw new Error(`checkpoint ${dir}: not a folder (expected a Hugging Face checkpoint folder with config.json)`);
    }
    const configFile = join(root, 'config.json');
    const config = new ConfigReader(configFile, readJson(configFile));
    const modelType = config.string('model_type');
    const family = familyFor(modelType, configFile);
    const arch = family.archFromConfig(config);
    checkArch(arch, config);
    const { files, fileOf } = openWeightFiles(root);
    return new Checkpoint(root, config, family, arch, files, fileOf);
  }

  get tensorNames(): string[] {
    return [...this.fileOf.keys()];
  }

  get weightFiles(): string[] {
    return this.files.map((f) => f.path);
  }

  /** The stored dtypes of the checkpoint's tensors, e.g. {BF16: 290}. */
  get storedDtypes(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [name, file] of this.fileOf) {
      const dtype: SafetensorsDtype = file.entry(name).dtype;
      counts[dtype] = (counts[dtype] ?? 0) + 1;
    }
    return counts;
  }

  /** Bytes the weights take as float32 (what an engine holds in memory). */
  get float32Bytes(): number {
    let total = 0;
    for (const [name, file] of this.fileOf) total += file.entry(name).shape.reduce((a, b) => a * b, 1) * 4;
    return total;
  }

  has(name: string): boolean {
    return this.fileOf.has(name);
  }

  read(name: string, expectedShape?: readonly number[]): HostArray {
    const file = this.fileWith(name, expectedShape);
    this.consumed.add(name);
    const t = file.readFloat32(name);
    assertFiniteWeights(file.path, name, t.data);
    return { shape: t.shape, data: t.data };
  }

  /**
   * Where a float tensor's bytes lie in its safetensors file, after the same presence and shape checks
   * as `read`; nothing is read (`checkFinite` scans the values).
   */
  locate(name: string, expectedShape?: readonly number[]): StoredTensor {
    const file = this.fileWith(name, expectedShape);
    const entry = file.entry(name);
    if (!isFloatDtype(entry.dtype)) {
      throw new SafetensorsError(file.path, name, `dtype ${entry.dtype} is not a float dtype (expected F32, F16, BF16 or F64)`);
    }
    this.consumed.add(name);
    const [begin, end] = entry.dataOffsets;
    return { file: file.path, name, dtype: entry.dtype, shape: entry.shape, offset: file.header.dataStart + begin, byteLength: end - begin };
  }

  /** Refuse a tensor holding NaN or an infinity (as `read` does), scanning its stored bytes without a float32 copy. */
  checkFinite(name: string): void {
    const file = this.fileWith(name);
    const bad = file.nonFinite(name);
    if (bad) throw nonFiniteWeightError(file.path, name, bad);
  }

  private fileWith(name: string, expectedShape?: readonly number[]): SafetensorsFile {
    const file = this.fileOf.get(name);
    if (!file) {
      const experts = this.expertsPresent(name);
      if (experts !== undefined && this.arch.moe && experts < this.arch.moe.experts) {
        throw new MissingWeightError(
          `${this.config.file}: field 'num_local_experts' says ${this.arch.moe.experts} experts, but ${this.files.map((f) => f.path).join(', ')} ` +
            `hold weights for ${experts} (tensor '${name}' is missing)`,
        );
      }
      const layers = this.layersPresent(name);
      if (layers !== undefined && layers < this.arch.nLayers) {
        throw new MissingWeightError(
          `${this.config.file}: field '${configFieldFor(this.config, 'nLayers')}' says ${this.arch.nLayers} layers, but ${this.files.map((f) => f.path).join(', ')} ` +
            `hold weights for ${layers} (tensor '${name}' is missing)`,
        );
      }
      throw new MissingWeightError(
        `checkpoint ${this.dir}: weight '${name}' is missing from ${this.files.map((f) => f.path).join(', ')} ` +
          `(model_type '${this.arch.modelType}': ${this.family.summary}; supported model types: ${supportedModelTypes().join(', ')})`,
      );
    }
    const entry = file.entry(name);
    if (expectedShape && (entry.shape.length !== expectedShape.length || entry.shape.some((d, i) => d !== expectedShape[i]))) {
      throw new MissingWeightError(
        `${file.path}: tensor '${name}' has shape [${entry.shape.join(', ')}] but config.json implies [${expectedShape.join(', ')}]`,
      );
    }
    return file;
  }

  /**
   * For a missing per-layer tensor (a name with a `.<index>.` part) of a layer the checkpoint holds no
   * tensor of at all, past the last one it does: how many layers it holds (config.json then claims
   * more layers than the weights have). Undefined otherwise (one tensor of a layer is missing).
   */
  /** For a missing expert tensor (`...experts.{e}...`): how many experts of that layer the files hold, when fewer than e + 1. */
  private expertsPresent(name: string): number | undefined {
    const m = /\.experts\.(\d+)\./.exec(name);
    if (!m) return undefined;
    const prefix = `${name.slice(0, m.index)}.experts.`;
    let last = -1;
    for (const t of this.fileOf.keys()) {
      const index = t.startsWith(prefix) ? /^(\d+)\./.exec(t.slice(prefix.length)) : null;
      if (index) last = Math.max(last, Number(index[1]));
    }
    return last < Number(m[1]) ? last + 1 : undefined;
  }

  private layersPresent(name: string): number | undefined {
    const m = /\.(\d+)\./.exec(name);
    if (!m) return undefined;
    const prefix = `${name.slice(0, m.index)}.`;
    let last = -1;
    for (const t of this.fileOf.keys()) {
      if (!t.startsWith(prefix)) continue;
      const index = /^(\d+)\./.exec(t.slice(prefix.length));
      if (index) last = Math.max(last, Number(index[1]));
    }
    return last >= 0 && last < Number(m[1]) ? last + 1 : undefined;
  }

  /** Checkpoint tensors no adapter read so far (after a full load: tensors the forward pass ignores). */
  unusedTensors(): string[] {
    return this.tensorNames.filter((n) => !this.consumed.has(n));
  }

  close(): void {
    for (const f of this.files) f.close();
  }
}

/**
 * A NaN or infinity in a weight the forward pass uses is refused at load, naming the file, the tensor
 * and the first bad element: it would turn every activation downstream into NaN, and no trained
 * checkpoint holds one on purpose (a corrupt download or an fp16 overflow when it was saved).
 */
function assertFiniteWeights(file: string, tensor: string, data: Float32Array): void {
  const { first, count } = nonFiniteFloats(data);
  if (first >= 0) throw nonFiniteWeightError(file, tensor, { first, value: data[first], count, total: data.length });
}

function nonFiniteWeightError(file: string, tensor: string, bad: { first: number; value: number; count: number; total: number }): SafetensorsError {
  const { first, value, count, total } = bad;
  return new SafetensorsError(file, tensor, `holds ${value} at element ${first} (${count} non-finite value${count === 1 ? '' : 's'} of ${total}); refusing to load NaN/Inf weights`);
}

function readJson(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new ConfigError(file, undefined, 'file not found');
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, undefined, `not valid JSON (${(err as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(file, undefined, 'not a JSON object');
  return value as Record<string, unknown>;
}

function openWeightFiles(root: string): { files: SafetensorsFile[]; fileOf: Map<string, SafetensorsFile> } {
  const indexFile = join(root, 'model.safetensors.index.json');
  const single = join(root, 'model.safetensors');
  const files: SafetensorsFile[] = [];
  const fileOf = new Map<string, SafetensorsFile>();
  try {
    if (existsSync(indexFile)) {
      const index = readJson(indexFile);
      const weightMap = index.weight_map;
      if (weightMap === null || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
        throw new ConfigError(indexFile, 'weight_map', 'expected an object mapping tensor names to shard files');
      }
      const shards = new Map<string, SafetensorsFile>();
      for (const [tensor, shard] of Object.entries(weightMap as Record<string, unknown>)) {
        if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) {
          throw new ConfigError(indexFile, `weight_map.${tensor}`, `expected a shard file name, got ${JSON.stringify(shard)}`);
        }
        let file = shards.get(shard);
        if (!file) {
          file = SafetensorsFile.open(join(root, shard));
          shards.set(shard, file);
          files.push(file);
        }
        if (!file.has(tensor)) throw new SafetensorsError(file.path, tensor, `listed in ${indexFile} but not in this shard`);
        fileOf.set(tensor, file);
      }
    } else if (existsSync(single)) {
      const file = SafetensorsFile.open(single);
      files.push(file);
      for (const name of file.names) fileOf.set(name, file);
    } else {
      const present = readdirSync(root).filter((f) => /\.(bin|pt|pth|safetensors|gguf)$/.test(f));
      throw new Error(
        `checkpoint ${root}: no model.safetensors or model.safetensors.index.json` +
          (present.length ? ` (found ${present.join(', ')}; only safetensors checkpoints are read)` : ''),
      );
    }
  } catch (err) {
    for (const f of files) f.close();
    throw err;
  }
  return { files, fileOf };
}
