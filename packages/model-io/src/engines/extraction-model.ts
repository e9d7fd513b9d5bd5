import type { ArchSpec } from '../arch-spec.js';
import type { HostArray } from '../families/host-array.js';
import type { HookName } from '../hooks.js';
import { TfjsModel, type CheckpointInfo, type RunOptions } from './tfjs/tfjs-model.js';
import { initBackend, type BackendName } from './tfjs/backend.js';

export type EngineName = 'auto' | 'onnx' | 'tfjs';
export const ENGINES: readonly EngineName[] = ['auto', 'onnx', 'tfjs'];

export function parseEngine(value: string): EngineName {
  if ((ENGINES as readonly string[]).includes(value)) return value as EngineName;
  throw new Error(`unknown engine '${value}' (valid: ${ENGINES.join(', ')})`);
}

/** What every engine offers the pipelines: one forward pass with captures, async. */
export interface ExtractionModel {
  readonly arch: ArchSpec;
  readonly checkpoint: CheckpointInfo;
  /** The engine that runs, and its backend/provider, recorded in every artifact. */
  readonly engine: Exclude<EngineName, 'auto'>;
  readonly backend: string;
  run(batch: readonly (readonly number[])[], options?: RunOptions): Promise<Map<HookName, HostArray>>;
  dispose(): void;
}

/** The tfjs reference engine behind the async interface. */
export async function loadTfjsExtractionModel(dir: string, backend?: BackendName): Promise<ExtractionModel> {
  const model = await TfjsModel.load(dir, backend ? { backend } : {});
  return {
    arch: model.arch,
    checkpoint: model.checkpoint,
    engine: 'tfjs',
    backend: model.backend,
    run: async (batch, options) => model.run(batch, options),
    dispose: () => model.dispose(),
  };
}

type OnnxLoader = (dir: string) => Promise<ExtractionModel>;
let onnxLoader: OnnxLoader | undefined;

/** The onnx engine registers itself here (kept out of this module so tfjs-only users never load ORT). */
export function registerOnnxLoader(loader: OnnxLoader, backendName: () => string = () => 'cpu'): void {
  onnxLoader = loader;
  onnxBackendName = backendName;
}

/**
 * Which engine and backend `requested` means on this machine, without loading a model: `auto` =
 * tfjs when the native `tensorflow` backend is installed (GPU or native CPU), else onnx (about 6x
 * tfjs-wasm per core), else tfjs-wasm. `SINKSCOPE_ENGINE` overrides `auto`.
 */
export async function resolveEngine(requested: EngineName = 'auto', backend?: BackendName): Promise<{ engine: 'onnx' | 'tfjs'; backend: string }> {
  let engine = requested;
  if (engine === 'auto' && process.env.SINKSCOPE_ENGINE) engine = parseEngine(process.env.SINKSCOPE_ENGINE);
  if (engine === 'onnx') return { engine, backend: onnxBackendName() };
  const tf = await initBackend(backend);
  if (engine === 'auto' && tf.backend !== 'tensorflow' && onnxLoader) return { engine: 'onnx', backend: onnxBackendName() };
  return { engine: 'tfjs', backend: tf.backend };
}

let onnxBackendName = (): string => 'cpu';

/**
 * Load a checkpoint on the requested engine (see `resolveEngine`).
 */
export async function loadExtractionModel(dir: string, options: { engine?: EngineName; backend?: BackendName } = {}): Promise<ExtractionModel> {
  const { engine } = await resolveEngine(options.engine, options.backend);
  if (engine === 'onnx') {
    if (!onnxLoader) throw new Error('the onnx engine is not available in this build');
    return onnxLoader(dir);
  }
  return loadTfjsExtractionModel(dir, options.backend);
}
