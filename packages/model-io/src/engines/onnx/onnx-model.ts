import { availableParallelism } from 'node:os';
import type { ArchSpec } from '../../arch-spec.js';
import { Checkpoint, type CheckpointInfo } from '../../checkpoint/checkpoint.js';
import { DeferredWeightReader } from '../../checkpoint/deferred-reader.js';
import { checkCheckpointTensors } from '../../checkpoint/tensor-check.js';
import { positionsDependOnBatchLength } from '../../forward/forward.js';
import type { HostArray } from '../../host-array.js';
import { resolveHooks, type HookName } from '../../hooks.js';
import { validateIntervention, type InterventionSpec } from '../../interventions.js';
import { padBatch } from '../pad-batch.js';
import { chooseBatchSize, defaultMemoryBudget, segmentWeightBytes } from './batch-size.js';
import { collectGarbage, collectGarbageNow } from './collect-garbage.js';
import { executionProviders, parseDevice, type OnnxDevice } from './device.js';
import type { BatchContext } from './feeds.js';
import { sinkRows } from '../../families/arch-defaults.js';
import { functionBoundary, isFunctionIntervention, type FunctionIntervention } from './function-intervention.js';
import { GraphSession, type SessionSettings } from './session.js';
import { stageName, traceStage, type Stage } from './trace.js';

export interface OnnxLoadOptions {
  /** ORT intra-op threads; default: every core (os.availableParallelism()). */
  readonly threads?: number;
  /** 'cpu' (default) or 'gpu' (ORT's CUDA provider; see README for the install flag). */
  readonly device?: OnnxDevice;
  /** Bytes the engine may use for weights + activations; default 60% of the memory free at load. */
  readonly memoryBudgetBytes?: number;
  /**
   * Layer streaming: `true` always runs one block at a time, `false` never, `'auto'` (default) when the
   * float32 weights exceed the memory budget.
   */
  readonly streaming?: boolean | 'auto';
  /**
   * Let ORT pre-pack MatMul weights into its GEMM's panel layout once, at session creation, instead of
   * packing them on every run. The packed copy is about the weights' size again. `'auto'` (default): in
   * memory when twice the float32 weights fit the budget, never when streaming (each segment's session
   * lives for one pass). GPT-2 small, 100 x 64 tokens, 2 threads: ORT's runs 8.7-8.9 s with, 9.3-9.6 s without.
   */
  readonly prepack?: boolean | 'auto';
  /**
   * ORT's CPU memory arena: activation buffers kept from batch to batch instead of fresh pages each run
   * (RSS then holds the largest batch's activations, which the batch size keeps within the budget).
   * Default: on in memory (GPT-2 small: runs 8.7-9.1 s against 9.3-9.6 s; with pre-packing 7.7-8.2 s),
   * off when streaming, where RSS between segments is the point.
   */
  readonly memoryArena?: boolean;
  /**
   * Write ORT's profile of every session (each node's kernel time per run, Chrome trace JSON) to files
   * whose names start with this path, one per session, once the session is released (`dispose`);
   * `summariseOrtProfiles` (ort-profile.ts) adds them up per operator. Off by default.
   */
  readonly profilePrefix?: string;
}

export interface OnnxRunOptions {
  /** Hooks to capture (names or globs, see resolveHooks); default ['logits']. Only these become graph outputs. */
  readonly capture?: readonly string[];
  /**
   * Declarative interventions, compiled into the graph and applied in list order at each hook, and
   * function interventions at block boundaries (the graph is split there).
   */
  readonly interventions?: readonly (InterventionSpec | FunctionIntervention)[];
}

/** One batch's captures, handed to `runMany`'s callback as soon as they exist. */
export interface CapturedBatch {
  /** Index in `sequences` of this batch's first sequence. */
  readonly start: number;
  /** Number of sequences in the batch. */
  readonly count: number;
  /** True token counts; each output is padded on the right to the batch's longest sequence. */
  readonly lengths: readonly number[];
  /** The graph segment that produced these outputs ('embed + blocks 0-11 + head' in memory; 'embed', 'block 7', 'head' when streaming). */
  readonly stage: string;
  readonly outputs: Map<HookName, HostArray>;
}

export interface RunProgress {
  /** Segment x batch steps done / total. */
  readonly done: number;
  readonly total: number;
  readonly stage: string;
}

export interface RunManyOptions extends OnnxRunOptions {
  /** Sequences per batch; default from the memory budget (chooseBatchSize), per segment when streaming. */
  readonly batchSize?: number;
  /** Receives every batch's captures (write them out; they are not kept). */
  readonly onBatch: (batch: CapturedBatch) => void | Promise<void>;
  readonly onProgress?: (progress: RunProgress) => void;
}

export interface RunManySummary {
  /** The largest batch used. */
  readonly batchSize: number;
  /** Batch size per graph segment (one entry in memory without function interventions). */
  readonly batchSizes: readonly number[];
  /** Batches per segment (the most of any segment). */
  readonly batches: number;
  readonly tokens: number;
  readonly streaming: boolean;
  /** Seconds spent building graphs (tracing, finite-value scans of the weights, ORT session creation, its weight loading and folding). */
  readonly graphSeconds: number;
  /** Seconds spent in ORT's runs (the forward pass itself, outputs handed over). */
  readonly runSeconds: number;
}

/** Where a runMany call's time goes (RunManySummary). */
interface Timing {
  graphSeconds: number;
  runSeconds: number;
}

interface Prepared {
  /** Every requested hook. */
  readonly capture: HookName[];
  /** Requested hooks the graphs output (those at a function intervention are captured on the host, after it). */
  readonly graphCapture: HookName[];
  readonly specs: InterventionSpec[];
  /** Function interventions by block boundary (b = before block b), in application order. */
  readonly functions: Map<number, FunctionIntervention[]>;
  /** Last block the captures need (-1: embeddings only). */
  readonly lastLayer: number;
  readonly withHead: boolean;
  /** What the graphs depend on (not the functions themselves): same key, same sessions. */
  readonly key: string;
}

interface Batch {
  readonly start: number;
  readonly count: number;
  readonly ctx: BatchContext;
}

/**
 * A checkpoint run by ONNX Runtime: the shared forward pass traced into a graph (OnnxGraphOps), with
 * only the requested hooks as outputs and declarative interventions compiled in (function
 * interventions split it into segments). Weights are read from the safetensors when a graph is built
 * and live only inside ORT's sessions; the last capture/intervention set's sessions are kept. In
 * streaming mode one segment's graph (embeddings, one block, or the head) exists at a time.
 */
export class OnnxModel {
  private cached: { key: string; sessions: GraphSession[] } | undefined;
  private disposed = false;
  /** Tensors whose values were scanned for NaN/Inf already (the files are not expected to change while loaded). */
  private readonly finiteChecked = new Set<string>();

  private constructor(
    readonly arch: ArchSpec,
    readonly checkpoint: CheckpointInfo,
    readonly settings: SessionSettings,
    readonly memoryBudgetBytes: number,
    readonly streaming: boolean,
  ) {}

  /** Copies of the weights a session holds: the weights, and ORT's pre-packed copy when `prepack`. */
  private get residentCopies(): number {
    return this.settings.prepack ? 2 : 1;
  }

  static async load(dir: string, options: OnnxLoadOptions = {}): Promise<OnnxModel> {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`onnx engine: threads must be a positive integer, got ${threads}`);
    const device = parseDevice(options.device ?? 'cpu');
    executionProviders(device); // a missing CUDA provider fails here, before any work
    const budget = options.memoryBudgetBytes ?? defaultMemoryBudget();
    if (!(budget > 0)) throw new Error(`onnx engine: memoryBudgetBytes must be positive, got ${budget}`);
    const ckpt = Checkpoint.open(dir);
    try {
      const used = checkCheckpointTensors(ckpt);
      const info: CheckpointInfo = {
        dir: ckpt.dir,
        weightFiles: ckpt.weightFiles,
        storedDtypes: ckpt.storedDtypes,
        float32Bytes: ckpt.float32Bytes,
        unusedTensors: ckpt.tensorNames.filter((n) => !used.has(n)),
      };
      const streaming = options.streaming === 'auto' || options.streaming === undefined ? info.float32Bytes > budget : options.streaming;
      const settings: SessionSettings = {
        threads,
        device,
        prepack: options.prepack === true || ((options.prepack ?? 'auto') === 'auto' && !streaming && 2 * info.float32Bytes <= budget),
        memoryArena: options.memoryArena ?? !streaming,
        ...(options.profilePrefix !== undefined ? { profilePrefix: options.profilePrefix } : {}),
      };
      return new OnnxModel(ckpt.arch, info, settings, budget, streaming);
    } finally {
      ckpt.close();
    }
  }

  /** Check hooks and interventions against the model before any work. */
  private prepare(options: OnnxRunOptions): Prepared {
    const capture = resolveHooks(this.arch, options.capture ?? ['logits']);
    const specs: InterventionSpec[] = [];
    const functions = new Map<number, FunctionIntervention[]>();
    (options.interventions ?? []).forEach((item, i) => {
      const where = `interventions[${i}]`;
      if (isFunctionIntervention(item)) {
        const b = functionBoundary(this.arch, item, where);
        const atBoundary = [...(functions.get(b) ?? []), item];
        // resid_post of block b-1 comes before resid_pre of block b at the same boundary
        functions.set(b, atBoundary.sort((x, y) => Number(x.hook.endsWith('pre')) - Number(y.hook.endsWith('pre'))));
      } else {
        specs.push(validateIntervention(this.arch, item, where));
      }
    });
    const fnHooks = new Set([...functions.values()].flat().map((f) => f.hook));
    const graphCapture = capture.filter((h) => !fnHooks.has(h));
    const layerOf = (h: HookName) => {
      const m = /^blocks\.(\d+)\./.exec(h);
      return m ? Number(m[1]) : h === 'hook_embed' || h === 'hook_pos_embed' ? -1 : this.arch.nLayers;
    };
    const deepest = Math.max(-1, ...capture.map(layerOf));
    const withHead = deepest === this.arch.nLayers;
    const lastLayer = withHead ? this.arch.nLayers - 1 : deepest;
    const boundaries = [...functions.keys()].sort((a, b) => a - b);
    return { capture, graphCapture, specs, functions, lastLayer, withHead, key: JSON.stringify([graphCapture, specs, boundaries]) };
  }

  /**
   * The graphs a run needs: cut at every function-intervention boundary (in memory) or at every
   * block boundary (streaming), covering the embeddings up to the deepest capture.
   */
  private segments(prepared: Prepared): Stage[] {
    const { lastLayer, withHead } = prepared;
    const end = withHead ? this.arch.nLayers : lastLayer; // the last boundary something follows
    const cuts = this.streaming ? Array.from({ length: end + 1 }, (_, b) => b) : [...prepared.functions.keys()].filter((b) => b <= end);
    const out: Stage[] = [];
    let from = -1;
    for (const b of [...new Set(cuts)].sort((x, y) => x - y)) {
      out.push({ embed: from === -1, firstLayer: Math.max(from, 0), lastLayer: b - 1, head: false, residualOut: true });
      from = b;
    }
    out.push({ embed: from === -1, firstLayer: Math.max(from, 0), lastLayer, head: withHead, residualOut: false });
    return out;
  }

  private batches(sequences: readonly (readonly number[])[], batchSize: number): Batch[] {
    const out: Batch[] = [];
    for (let start = 0; start < sequences.length; start += batchSize) {
      const chunk = sequences.slice(start, start + batchSize);
      const { ids, seqLen, lengths } = padBatch(chunk);
      this.validateIds(ids, seqLen, start);
      out.push({ start, count: chunk.length, ctx: { batch: chunk.length, seqLen, ids, ...(lengths ? { lengths } : {}) } });
    }
    return out;
  }

  private validateIds(ids: Int32Array, seqLen: number, start: number): void {
    for (let i = 0; i < ids.length; i++) {
      if (!Number.isInteger(ids[i]) || ids[i] < 0 || ids[i] >= this.arch.vocabSize) {
        throw new Error(`token id ${ids[i]} of sequence ${start + Math.floor(i / seqLen)} (position ${i % seqLen}) is outside the vocabulary [0, ${this.arch.vocabSize})`);
      }
    }
    if (this.arch.positional.kind === 'learned' && seqLen > this.arch.maxPositions) {
      throw new Error(`sequence length ${seqLen} exceeds the model's ${this.arch.maxPositions} learned positions`);
    }
  }

  /** The batch size runMany uses by default for sequences of length `seqLen`. */
  batchSizeFor(seqLen: number, capture: readonly string[] = ['logits']): number {
    const hooks = resolveHooks(this.arch, capture);
    const resident = this.residentCopies * (this.streaming ? this.checkpoint.float32Bytes / (this.arch.nLayers + 2) : this.checkpoint.float32Bytes);
    return chooseBatchSize(this.arch, { seqLen, capture: hooks, memoryBudgetBytes: this.memoryBudgetBytes, residentWeightBytes: resident });
  }

  /** One forward pass over a batch; returns each captured hook as a float32 host array (as TfjsModel.run). */
  async run(batch: readonly (readonly number[])[], options: OnnxRunOptions = {}): Promise<Map<HookName, HostArray>> {
    const out = new Map<HookName, HostArray>();
    await this.runMany(batch, { ...options, batchSize: Math.max(1, batch.length), onBatch: (b) => b.outputs.forEach((v, k) => out.set(k, v)) });
    return out;
  }

  /**
   * Run many sequences in batches (in order, each right-padded to its batch's longest), handing each
   * batch's captures to `onBatch` as soon as they exist. Everything is validated before any work.
   */
  async runMany(sequences: readonly (readonly number[])[], options: RunManyOptions): Promise<RunManySummary> {
    if (this.disposed) throw new Error('onnx model was disposed');
    if (sequences.length === 0) throw new Error('runMany: no sequences given');
    const prepared = this.prepare(options);
    if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
      throw new Error(`runMany: batchSize must be a positive integer, got ${options.batchSize}`);
    }
    const longest = Math.max(...sequences.map((s) => s.length));
    const tokens = sequences.reduce((n, s) => n + s.length, 0);
    const stages = this.segments(prepared);
    // every segment's batches are cut (and their ids checked) before any work; rotary tables that depend
    // on the padded batch length (dynamic, longrope) need every segment to batch the sequences alike
    const limits = stages.map((stage) => options.batchSize ?? this.segmentBatchSize(stage, prepared, longest, sequences.length));
    const alike = positionsDependOnBatchLength(this.arch);
    const plans = limits.map((limit) => this.batches(sequences, options.batchSize ?? balanced(sequences.length, alike ? Math.min(...limits) : limit)));
    const timing: Timing = { graphSeconds: 0, runSeconds: 0 };
    if (this.streaming) await this.runStreamed(stages, plans, prepared, options, timing);
    else await this.runInMemory(stages, plans[0], prepared, options, timing);
    const batchSizes = plans.map((p) => p[0].count);
    return { batchSize: Math.max(...batchSizes), batchSizes, batches: Math.max(...plans.map((p) => p.length)), tokens, streaming: this.streaming, ...timing };
  }

  /**
   * Batch size for one segment: in memory, one partition for the whole model (all captures, all weights);
   * streaming, each segment its own (a block holds no logits, so it can take larger batches than the head).
   */
  private segmentBatchSize(stage: Stage, prepared: Prepared, seqLen: number, count: number): number {
    if (!this.streaming) return this.batchSizeFor(seqLen, prepared.graphCapture);
    const layerOf = (h: HookName) => {
      const m = /^blocks\.(\d+)\./.exec(h);
      return m ? Number(m[1]) : h === 'hook_embed' || h === 'hook_pos_embed' ? -1 : this.arch.nLayers;
    };
    const inStage = (h: HookName) => {
      const l = layerOf(h);
      return (l >= stage.firstLayer && l <= stage.lastLayer) || (stage.embed && l === -1) || (stage.head && l === this.arch.nLayers);
    };
    const residualStore = count * seqLen * this.arch.dModel * 4; // every sequence's residual stream, between segments
    return chooseBatchSize(this.arch, {
      seqLen,
      capture: prepared.graphCapture.filter(inStage),
      memoryBudgetBytes: this.memoryBudgetBytes,
      residentWeightBytes: this.residentCopies * segmentWeightBytes(this.arch, stage) + residualStore,
      parts: { blocks: stage.firstLayer <= stage.lastLayer, head: stage.head },
    });
  }

  private async releaseCached(): Promise<void> {
    const cached = this.cached;
    this.cached = undefined;
    for (const session of cached?.sessions ?? []) await session.dispose();
  }

  private async buildSession(stage: Stage, prepared: Prepared, ckpt: Checkpoint, timing: Timing): Promise<GraphSession> {
    const start = performance.now();
    const reader = new DeferredWeightReader(ckpt, this.finiteChecked);
    const graph = traceStage(this.arch, ckpt.family, reader, stage, new Set(prepared.graphCapture), prepared.specs);
    const session = await GraphSession.create(graph, this.settings);
    timing.graphSeconds += (performance.now() - start) / 1000;
    return session;
  }

  /**
   * Run one segment on one batch, then the function interventions at the boundary it ends on; hand
   * the captures to `onBatch` and return only the residual stream. (Keeping the captures out of the
   * callers' async frames lets the collection before the next batch free them.)
   */
  private async runSegment(session: GraphSession, stage: Stage, b: Batch, residualIn: Float32Array | undefined, prepared: Prepared, options: RunManyOptions, timing: Timing): Promise<Float32Array | undefined> {
    const ctx: BatchContext = stage.embed ? b.ctx : { ...b.ctx, residual: residualIn };
    await collectGarbage(); // the previous batch's captures, which the caller has written out, before this batch's arrive
    const start = performance.now();
    const { hooks, residual } = await session.run(ctx);
    timing.runSeconds += (performance.now() - start) / 1000;
    let resid = residual;
    const lengths = lengthsOf(b);
    if (stage.residualOut && resid) {
      const extra = sinkRows(this.arch); // the residual stream's rows: tokens (+ a sink token's)
      const shape = [b.count, b.ctx.seqLen + extra, this.arch.dModel];
      for (const f of prepared.functions.get(stage.lastLayer + 1) ?? []) {
        const out = await f.fn({ shape, data: resid }, { hook: f.hook, lengths: lengths.map((n) => n + extra) });
        if (out.shape.length !== 3 || out.shape.some((d, i) => d !== shape[i]) || out.data.length !== resid.length) {
          throw new Error(`function intervention at ${f.hook} returned shape [${out.shape}] for input [${shape}]`);
        }
        resid = out.data;
        if (prepared.capture.includes(f.hook)) hooks.set(f.hook, { shape, data: resid });
      }
    }
    if (hooks.size > 0) await options.onBatch({ start: b.start, count: b.count, lengths, stage: stageName(stage), outputs: hooks });
    return resid;
  }

  /** In memory: every segment's session is kept (together they hold the weights once); batch by batch through all. */
  private async runInMemory(stages: readonly Stage[], batches: readonly Batch[], prepared: Prepared, options: RunManyOptions, timing: Timing): Promise<void> {
    if (this.cached?.key !== prepared.key) {
      await this.releaseCached(); // free the old weights before reading them again
      const ckpt = Checkpoint.open(this.checkpoint.dir);
      const sessions: GraphSession[] = [];
      try {
        for (const stage of stages) {
          sessions.push(await this.buildSession(stage, prepared, ckpt, timing));
          collectGarbageNow(); // ORT copied the weights: free the host arrays now, not at V8's leisure
        }
      } catch (err) {
        for (const s of sessions) await s.dispose();
        throw err;
      } finally {
        ckpt.close();
      }
      this.cached = { key: prepared.key, sessions };
    }
    const sessions = this.cached.sessions;
    const total = batches.length * stages.length;
    let done = 0;
    for (const b of batches) {
      let residual: Float32Array | undefined;
      for (const [i, stage] of stages.entries()) {
        residual = await this.runSegment(sessions[i], stage, b, residual, prepared, options, timing);
        options.onProgress?.({ done: ++done, total, stage: stageName(stage) });
      }
    }
  }

  /**
   * Layer streaming: embed, then block 0, 1, ..., then the head, each its own graph holding only its
   * own weights. Every sequence's residual stream passes through one segment before the next
   * segment's weights are read; it is kept per sequence (unpadded), so each segment batches the
   * sequences its own way. Each segment's captures go to `onBatch` and are not kept.
   */
  private async runStreamed(stages: readonly Stage[], plans: readonly (readonly Batch[])[], prepared: Prepared, options: RunManyOptions, timing: Timing): Promise<void> {
    await this.releaseCached();
    const d = this.arch.dModel;
    const residuals: Float32Array[] = [];
    const total = plans.reduce((n, p) => n + p.length, 0);
    let done = 0;
    const ckpt = Checkpoint.open(this.checkpoint.dir);
    try {
      for (const [s, stage] of stages.entries()) {
        const session = await this.buildSession(stage, prepared, ckpt, timing);
        collectGarbageNow(); // ORT copied the segment's weights
        try {
          for (const b of plans[s]) {
            const extra = sinkRows(this.arch); // residual rows per sequence: tokens (+ a sink token's)
            const lengths = lengthsOf(b).map((n) => n + extra);
            const T = b.ctx.seqLen + extra;
            let residualIn: Float32Array | undefined;
            if (!stage.embed) {
              residualIn = new Float32Array(b.count * T * d); // right padding stays 0: masked keys, never read by real tokens
              lengths.forEach((len, j) => residualIn!.set(residuals[b.start + j].subarray(0, len * d), j * T * d));
            }
            const residual = await this.runSegment(session, stage, b, residualIn, prepared, options, timing);
            if (residual) lengths.forEach((len, j) => (residuals[b.start + j] = residual.slice(j * T * d, (j * T + len) * d)));
            options.onProgress?.({ done: ++done, total, stage: stageName(stage) });
          }
        } finally {
          await session.dispose();
        }
      }
    } finally {
      ckpt.close();
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.releaseCached();
  }
}

/** The same number of batches as `limit` needs, but evenly filled (100 at limit 32: 4 x 25, not 32+32+32+4). */
function balanced(count: number, limit: number): number {
  return Math.ceil(count / Math.ceil(count / limit));
}

function lengthsOf(b: Batch): number[] {
  return b.ctx.lengths ? [...b.ctx.lengths] : new Array<number>(b.count).fill(b.ctx.seqLen);
}
