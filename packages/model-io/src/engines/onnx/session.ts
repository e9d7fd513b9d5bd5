import * as ort from 'onnxruntime-node';
import type { HookName } from '../../hooks.js';
import type { HostArray } from '../../host-array.js';
import { executionProviders, type OnnxDevice } from './device.js';
import type { BatchContext } from './feeds.js';
import type { TracedGraph } from './trace.js';

export interface SessionSettings {
  readonly threads: number;
  readonly device: OnnxDevice;
  /** Let ORT pre-pack MatMul weights (a second copy of each weight while the session lives). */
  readonly prepack: boolean;
  /** ORT's CPU memory arena: activation memory kept for the next run instead of going back to the OS. */
  readonly memoryArena: boolean;
  /** ORT profiling: the profile file's name prefix (the file is written when the session is released). */
  readonly profilePrefix?: string;
}

/** One traced graph inside an ORT session: feeds it from a batch, returns its hooks (and residual). */
export class GraphSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly graph: Omit<TracedGraph, 'encoded'>,
  ) {}

  static async create(graph: TracedGraph, settings: SessionSettings): Promise<GraphSession> {
    const { bytes, externalDataFolder } = graph.encoded;
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: executionProviders(settings.device),
      intraOpNumThreads: settings.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // with the arena a batch reuses the last batch's activation buffers (in memory: faster); without it each
      // run's block goes back to the OS, so RSS between streamed segments is one segment's weights
      enableCpuMemArena: settings.memoryArena,
      ...(settings.profilePrefix !== undefined ? { enableProfiling: true, profileFilePrefix: settings.profilePrefix } : {}),
      logSeverityLevel: 3, // ORT's own warnings (e.g. about output shapes) are noise here
      extra: {
        session: {
          // the stored weights' external data: relative locations resolve in the checkpoint folder
          ...(externalDataFolder !== undefined ? { model_external_initializers_file_folder_path: externalDataFolder } : {}),
          ...(settings.prepack ? {} : { disable_prepacking: '1' }),
        },
      },
    });
    const { inputs, hooks, residualOut } = graph;
    return new GraphSession(session, { inputs, hooks, ...(residualOut ? { residualOut } : {}) });
  }

  async run(ctx: BatchContext): Promise<{ hooks: Map<HookName, HostArray>; residual?: Float32Array }> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of this.graph.inputs) feeds[input.name] = input.make(ctx);
    const results = await this.session.run(feeds);
    const hooks = new Map<HookName, HostArray>();
    for (const { hook, output } of this.graph.hooks) {
      const t = results[output];
      hooks.set(hook, { shape: t.dims.map(Number), data: t.data as Float32Array });
    }
    const { residualOut } = this.graph;
    return residualOut ? { hooks, residual: results[residualOut].data as Float32Array } : { hooks };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
