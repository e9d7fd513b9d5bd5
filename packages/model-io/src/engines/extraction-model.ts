import type { ArchSpec } from '../arch-spec.js';
import type { CheckpointInfo } from '../checkpoint/checkpoint.js';
import type { HostArray } from '../host-array.js';
import type { HookName } from '../hooks.js';
import type { InterventionSpec } from '../interventions.js';
import { parseEngineChoice, type EngineChoice, type EngineName } from './engine-name.js';
import { assertFiniteActivations } from './non-finite.js';
import { OnnxModel, type OnnxLoadOptions } from './onnx/onnx-model.js';
import { initBackend, nativeTensorflowPackage, type BackendName } from './tfjs/backend.js';
import { tfInterventionMap } from './tfjs/tfjs-interventions.js';
import { TfjsModel } from './tfjs/tfjs-model.js';

export interface ExtractionRunOptions {
  /** Hooks to capture (attention patterns are the memory hog: ask only for what you need). */
  readonly capture?: readonly HookName[];
  /** Declarative interventions, compiled by each engine (onnx: into the graph; tfjs: eager ops). */
  readonly interventions?: readonly InterventionSpec[];
}

/** What every engine offers the pipelines: one forward pass with captures, async. */
export interface ExtractionModel {
  readonly arch: ArchSpec;
  readonly checkpoint: CheckpointInfo;
  /** The engine that runs, and its backend/provider, recorded in every artifact. */
  readonly engine: EngineName;
  readonly backend: string;
  run(batch: readonly (readonly number[])[], options?: ExtractionRunOptions): Promise<Map<HookName, HostArray>>;
  dispose(): void;
}

/** The tfjs reference engine behind the async interface; interventions compiled per batch (ragged-aware). */
export async function loadTfjsExtractionModel(dir: string, backend?: BackendName): Promise<ExtractionModel> {
  const model = await TfjsModel.load(dir, backend ? { backend } : {});
  return {
    arch: model.arch,
    checkpoint: model.checkpoint,
    engine: 'tfjs',
    backend: model.backend,
    run: async (batch, options = {}) => {
      const lengths = batch.map((s) => s.length);
      const ragged = lengths.some((n) => n !== lengths[0]);
      const interventions = options.interventions?.length ? tfInterventionMap(options.interventions, ragged ? lengths : undefined, model.arch) : undefined;
      const out = model.run(batch, { ...(options.capture ? { capture: options.capture } : {}), ...(interventions ? { interventions } : {}) });
      assertFiniteActivations(model.arch, out, lengths, dir); // NaN/Inf never reaches a metric
      return out;
    },
    dispose: () => model.dispose(),
  };
}

/** ONNX Runtime behind the same interface (CPU provider unless `device` says gpu). */
export async function loadOnnxExtractionModel(dir: string, options: OnnxLoadOptions = {}): Promise<ExtractionModel> {
  const device = options.device ?? 'cpu';
  const model = await OnnxModel.load(dir, options);
  return {
    arch: model.arch,
    checkpoint: model.checkpoint,
    engine: 'onnx',
    backend: device === 'gpu' ? 'cuda' : 'cpu',
    run: async (batch, options = {}) => {
      const out = await model.run(batch, options);
      assertFiniteActivations(model.arch, out, batch.map((s) => s.length), dir); // NaN/Inf never reaches a metric
      return out;
    },
    dispose: () => model.dispose(),
  };
}

/**
 * Which engine and backend `requested` means on this machine, without loading a model: `auto` =
 * tfjs on the native `tensorflow` backend when `@tensorflow/tfjs-node(-gpu)` is installed, else onnx
 * (about 6x tfjs-wasm per core). `SINKSCOPE_ENGINE` overrides `auto`.
 */
export async function resolveEngine(requested: EngineChoice = 'auto', backend?: BackendName): Promise<{ engine: EngineName; backend: string }> {
  let engine = requested;
  if (engine === 'auto' && process.env.SINKSCOPE_ENGINE) engine = parseEngineChoice(process.env.SINKSCOPE_ENGINE);
  if (engine === 'auto') engine = backend === undefined && (await nativeTensorflowPackage()) !== undefined ? 'tfjs' : backend !== undefined ? 'tfjs' : 'onnx';
  if (engine === 'onnx') return { engine, backend: process.env.SINKSCOPE_DEVICE === 'gpu' ? 'cuda' : 'cpu' };
  const tf = await initBackend(backend);
  return { engine: 'tfjs', backend: tf.backend };
}

/** Load a checkpoint on the requested engine (see `resolveEngine`). */
export async function loadExtractionModel(
  dir: string,
  options: { engine?: EngineChoice; backend?: BackendName; onnx?: OnnxLoadOptions } = {},
): Promise<ExtractionModel> {
  const { engine } = await resolveEngine(options.engine, options.backend);
  if (engine === 'onnx') return loadOnnxExtractionModel(dir, options.onnx);
  if (options.onnx?.device === 'gpu') throw new Error('--device gpu needs the onnx engine (tfjs uses a GPU through @tensorflow/tfjs-node-gpu and --backend tensorflow)');
  return loadTfjsExtractionModel(dir, options.backend);
}
