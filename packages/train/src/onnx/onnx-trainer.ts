import { availableParallelism } from 'node:os';
import { attentionLayers, hiddenStateHooks, sinkRows, type HookName } from '@sinkscope/model-io';
import * as ort from 'onnxruntime-node';
import type { BackcopyBatch } from '../data/backcopy-source.js';
import { createTrainingData, type TrainingData } from '../data/training-data.js';
import { EvalAccumulator, evalRows, type EvalRecord } from '../eval/evaluate.js';
import { initialValues } from '../model/params.js';
import { cachedArch } from '../model/tfjs-forward.js';
import type { AdamWState } from '../optim/adamw.js';
import { learningRateAt } from '../optim/schedule.js';
import { heldOutRows, trainingRows } from '../training/batch-rows.js';
import type { TrainConfig } from '../training/config.js';
import type { StepResult } from '../training/trainer.js';
import type { GatherGradient } from './autodiff.js';
import type { ParamLayout } from './param-layout.js';
import { createSession } from './session.js';
import { buildTrainingGraph, decayFactorInput, IDS_INPUT, INPUTS, STATE_VECTORS, stateInput, traceTrainingForward, type StateVector, type StepOutputs } from './training-graph.js';

/** Held-out rows per evaluation batch (the tfjs evaluation's chunk). */
const EVAL_CHUNK = 25;

export interface OnnxTrainerOptions {
  /**
   * ORT intra-op threads (default: every core). With 1, runs are bit-identical; with more, ORT's kernels
   * may add partial sums in another order from run to run (R1 of issue 22, batch 32 x 64, 2 threads:
   * the losses differ from the second step; the tiny test config happens to repeat).
   */
  readonly threads?: number;
  readonly gatherGradient?: GatherGradient;
  /** Let ORT's idle threads spin (default off; fastest on dedicated cores, see SessionOptions.spinning). */
  readonly spinning?: boolean;
  /** Write ORT's per-node profile of the step session (JSON) with this prefix. */
  readonly profilePrefix?: string;
}

/** What a trainer starts from: parameter values by name, and AdamW state when resuming. */
export interface TrainerInit {
  readonly values?: ReadonlyMap<string, Float32Array>;
  readonly optimizer?: AdamWState;
}

/** The evaluation graph: model-io's forward at [EVAL_CHUNK, T] with the hooks the held-out metrics read. */
interface EvalSession {
  readonly session: ort.InferenceSession;
  /** Constant inputs and the token ids' tensor; the weights are set to the current buffer set per evaluation. */
  readonly feeds: Record<string, ort.Tensor>;
  readonly ids: BigInt64Array;
  /** Hook -> graph output. */
  readonly outputs: ReadonlyMap<HookName, string>;
  /** Trainer parameter name -> graph input. */
  readonly weights: ReadonlyMap<string, string>;
  /** The hidden states EvalRecord measures, as hooks: embeddings, each block but the last, ln_f output. */
  readonly hidden: readonly HookName[];
  /** Attention weights of each block with attention, and with a key/value slot each such block's slot weights. */
  readonly patterns: readonly HookName[];
  readonly slots: readonly HookName[];
}

/** One set of the flat state buffers and the tensors that view them. */
interface StateBuffers {
  readonly params: Float32Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Graph inputs reading this set: the flat vectors and each weight as a view of `params`. */
  readonly inputs: Record<string, ort.Tensor>;
  /** Preallocated outputs writing into this set. */
  readonly outputs: Record<string, ort.Tensor>;
}

/**
 * Training on ONNX Runtime: one session runs a whole step (model-io's traced forward, the loss, the
 * backward graph, clipping and AdamW). Parameters and moments live in two preallocated buffer sets;
 * a step reads one set and ORT writes the updated state straight into the other (preallocated
 * outputs), then the sets swap, so nothing is copied through JS between steps. The batch of step s
 * and every numeric choice are those of the tfjs `Trainer`; checkpoints have the same format.
 */
export class OnnxTrainer {
  readonly source: TrainingData;
  readonly heldOut: BackcopyBatch;
  private current: StateBuffers;
  private next: StateBuffers;
  private t: number;
  private evalSession: Promise<EvalSession> | undefined;

  private constructor(
    readonly config: TrainConfig,
    private readonly session: ort.InferenceSession,
    private readonly layout: ParamLayout,
    private readonly names: { outputs: StepOutputs; weightInputs: ReadonlyMap<string, string> },
    private readonly stepFeeds: { constant: Record<string, ort.Tensor>; ids: BigInt64Array; targets: BigInt64Array; scalars: { decayFactors: Map<string, Float32Array>; stepSize: Float32Array; biasCorrection2: Float32Array } },
    init: TrainerInit,
    private readonly sessionOptions: { threads: number; spinning?: boolean },
  ) {
    this.source = createTrainingData(config.data);
    this.heldOut = heldOutRows(config, this.source);
    this.current = this.buffers();
    this.next = this.buffers();
    const values = init.values ?? initialValues(layout.specs, config.seed);
    layout.pack(values, this.current.params, 'initial parameters');
    if (init.optimizer) {
      layout.pack(init.optimizer.m, this.current.m, 'optimizer state m');
      layout.pack(init.optimizer.v, this.current.v, 'optimizer state v');
    }
    this.t = init.optimizer?.step ?? 0;
  }

  /** Build the step graph for the config's batch shape and open its session. */
  static async create(config: TrainConfig, init: TrainerInit = {}, options: OnnxTrainerOptions = {}): Promise<OnnxTrainer> {
    const threads = options.threads ?? availableParallelism();
    const batch = config.batchSize;
    const seqLen = config.data.sequenceLength - (config.data.firstToken === 'none' ? 2 : 1);
    const graph = buildTrainingGraph(config, batch, seqLen, { gatherGradient: options.gatherGradient ?? 'scatter' });
    const session = await createSession(graph.g, `sinkscope train step ${config.model.nLayer}x${config.model.nEmbd}`, {
      threads,
      staticDims: { batch, seq: seqLen, rows: seqLen + sinkRows(cachedArch(config.model)) },
      ...(options.spinning === undefined ? {} : { spinning: options.spinning }),
      ...(options.profilePrefix ? { profilePrefix: options.profilePrefix } : {}),
    });
    const ids = new BigInt64Array(batch * seqLen);
    const targets = new BigInt64Array(batch * seqLen);
    const decayFactors = new Map(graph.layout.groups.filter((g) => g.weightDecay > 0).map((g) => [g.name, new Float32Array(1)]));
    const scalars = { decayFactors, stepSize: new Float32Array(1), biasCorrection2: new Float32Array(1) };
    const constant: Record<string, ort.Tensor> = {
      ...graph.constantFeeds,
      [IDS_INPUT]: new ort.Tensor('int64', ids, [batch, seqLen]),
      [INPUTS.targets]: new ort.Tensor('int64', targets, [batch, seqLen]),
      ...Object.fromEntries([...decayFactors].map(([group, value]) => [decayFactorInput(group), new ort.Tensor('float32', value, [])])),
      [INPUTS.stepSize]: new ort.Tensor('float32', scalars.stepSize, []),
      [INPUTS.biasCorrection2]: new ort.Tensor('float32', scalars.biasCorrection2, []),
    };
    const sessionOptions = { threads, ...(options.spinning === undefined ? {} : { spinning: options.spinning }) };
    return new OnnxTrainer(config, session, graph.layout, { outputs: graph.outputs, weightInputs: graph.weightInputs }, { constant, ids, targets, scalars }, init, sessionOptions);
  }

  private buffers(): StateBuffers {
    const P = this.layout.size;
    const flat: Record<StateVector, Float32Array> = { params: new Float32Array(P), adam_m: new Float32Array(P), adam_v: new Float32Array(P) };
    const inputs: Record<string, ort.Tensor> = {};
    const outputs: Record<string, ort.Tensor> = {};
    // each group's slice of each vector is one graph input, and the same view is the preallocated output
    // of the step that writes this set
    for (const { name, offset, size } of this.layout.groups) {
      for (const vector of STATE_VECTORS) {
        const view = new ort.Tensor('float32', flat[vector].subarray(offset, offset + size), [size]);
        inputs[stateInput(vector, name)] = view;
        outputs[this.names.outputs.state.get(stateInput(vector, name))!] = view;
      }
    }
    for (const { spec, offset, size } of this.layout.slots) inputs[this.names.weightInputs.get(spec.name)!] = new ort.Tensor('float32', flat.params.subarray(offset, offset + size), [...spec.shape]);
    return { params: flat.params, m: flat.adam_m, v: flat.adam_v, inputs, outputs };
  }

  /** Number of updates made so far (= index of the next update). */
  get step(): number {
    return this.t;
  }

  get contextLength(): number {
    return this.config.data.sequenceLength - (this.config.data.firstToken === 'none' ? 2 : 1);
  }

  get tokensPerStep(): number {
    return this.config.batchSize * this.contextLength;
  }

  async trainStep(): Promise<StepResult> {
    const step = this.t;
    const { inputs, targets } = trainingRows(this.config, this.source, step);
    const { ids, targets: targetIds, scalars, constant } = this.stepFeeds;
    for (let i = 0; i < inputs.length; i++) {
      ids[i] = BigInt(inputs[i]);
      targetIds[i] = BigInt(targets[i]);
    }
    const lr = learningRateAt(step, this.config.schedule);
    const { beta1, beta2 } = this.config.optimizer;
    const t = step + 1;
    // the scalars AdamW.step computes in float64 on the host, rounded to float32 as tfjs does
    for (const group of this.layout.groups) scalars.decayFactors.get(group.name)?.set([1 - lr * group.weightDecay]);
    scalars.stepSize[0] = lr / (1 - beta1 ** t);
    scalars.biasCorrection2[0] = Math.sqrt(1 - beta2 ** t);
    const { outputs } = this.names;
    const results = await this.session.run({ ...constant, ...this.current.inputs }, { ...this.next.outputs, [outputs.loss]: null, [outputs.gradNorm]: null } as unknown as ort.InferenceSession.FetchesType);
    const loss = (results[outputs.loss].data as Float32Array)[0];
    const gradNorm = (results[outputs.gradNorm].data as Float32Array)[0];
    // the update went into the other buffer set: on divergence the current state stays as it was
    if (!Number.isFinite(loss)) throw new Error(`training diverged: loss ${loss} at step ${step}`);
    [this.current, this.next] = [this.next, this.current];
    this.t = t;
    return { step, loss, gradNorm, lr };
  }

  /** Host copies of every parameter, by the trainer's names. */
  parameterValues(): Map<string, Float32Array> {
    return this.layout.unpack(this.current.params);
  }

  optimizerState(): AdamWState {
    return { step: this.t, m: this.layout.unpack(this.current.m), v: this.layout.unpack(this.current.v) };
  }

  /** Held-out evaluation at the current step: model-io's forward on ORT with the hooks the metrics read, same EvalRecord as the tfjs engine. */
  async evaluate(): Promise<EvalRecord> {
    const { session, feeds, ids, outputs, weights, hidden, patterns, slots } = await (this.evalSession ??= this.openEvalSession());
    const set = this.heldOut;
    const T = set.length - 1;
    const V = this.config.model.vocabSize;
    const acc = new EvalAccumulator(this.config.model, set);
    for (const { spec, offset, size } of this.layout.slots) feeds[weights.get(spec.name)!] = new ort.Tensor('float32', this.current.params.subarray(offset, offset + size), [...spec.shape]);
    for (let start = 0; start < set.count; start += EVAL_CHUNK) {
      const b = Math.min(EVAL_CHUNK, set.count - start);
      const { inputs, targets } = evalRows(set, start, b);
      ids.fill(0n); // a short last chunk is padded with id-0 rows whose outputs are not read
      for (let i = 0; i < inputs.length; i++) ids[i] = BigInt(inputs[i]);
      const out = await session.run(feeds);
      const read = (hook: HookName) => out[outputs.get(hook)!].data as Float32Array;
      // log-softmax at the target and argmax per position, in float64 on the host
      const logits = read('logits');
      const targetLogProb = new Float64Array(b * T);
      const argmax = new Int32Array(b * T);
      for (let i = 0; i < b * T; i++) {
        const row = logits.subarray(i * V, (i + 1) * V);
        let best = 0;
        for (let j = 1; j < V; j++) if (row[j] > row[best]) best = j;
        let sum = 0;
        for (let j = 0; j < V; j++) sum += Math.exp(row[j] - row[best]);
        targetLogProb[i] = row[targets[i]] - row[best] - Math.log(sum);
        argmax[i] = best;
      }
      // the slot's mean weight over this chunk's real rows (a padded last chunk's extra rows are left out)
      const slotMass = slots.map((hook) => {
        const w = read(hook);
        const perRow = w.length / EVAL_CHUNK;
        let sum = 0;
        for (let i = 0; i < b * perRow; i++) sum += w[i];
        return sum / (b * perRow);
      });
      acc.add({ targetLogProb, argmax, attentions: patterns.map(read), hidden: hidden.map(read), ...(slots.length ? { slotMass } : {}) }, start, b);
    }
    return acc.result(this.t);
  }

  private async openEvalSession(): Promise<EvalSession> {
    const T = this.heldOut.length - 1;
    const arch = cachedArch(this.config.model);
    const hidden = hiddenStateHooks(arch);
    const layers = attentionLayers(arch);
    const patterns = layers.map((l): HookName => `blocks.${l}.attn.hook_pattern`);
    const slots = arch.attentionSlot ? layers.map((l): HookName => `blocks.${l}.attn.hook_slot`) : [];
    const traced = traceTrainingForward(this.config, EVAL_CHUNK, T, new Set<HookName>([...hidden, ...patterns, ...slots, 'logits']));
    const session = await createSession(traced.g, 'sinkscope train evaluation', { ...this.sessionOptions, staticDims: { batch: EVAL_CHUNK, seq: T, rows: T + sinkRows(arch) } });
    const ids = new BigInt64Array(EVAL_CHUNK * T);
    const feeds: Record<string, ort.Tensor> = { ...traced.constantFeeds, [IDS_INPUT]: new ort.Tensor('int64', ids, [EVAL_CHUNK, T]) };
    return { session, feeds, ids, outputs: new Map(traced.hooks.map((h) => [h.hook, h.output])), weights: traced.weightInputs, hidden, patterns, slots };
  }

  async dispose(): Promise<void> {
    await this.session.release();
    if (this.evalSession) await (await this.evalSession).session.release();
  }
}
