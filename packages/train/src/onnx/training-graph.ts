import { forward, GraphBuilder, OnnxGraphOps, transposedWeight, type HookName } from '@sinkscope/model-io';
import type * as ort from 'onnxruntime-node';
import { lossWeights } from '../eval/evaluate.js';
import { cachedArch } from '../model/tfjs-forward.js';
import { fixedPositionTable, trainerWeights } from '../model/weights.js';
import type { TrainConfig } from '../training/config.js';
import { appendAdamW } from './adamw-graph.js';
import { appendBackward, GradContext, type GatherGradient } from './autodiff.js';
import { appendCrossEntropy } from './cross-entropy.js';
import { ParamLayout } from './param-layout.js';
import { ShapeTable, type Shape } from './shapes.js';

/** model-io's tracer names the token-id input `input_ids` (int64 [batch, seq]). */
export const IDS_INPUT = 'input_ids';

/** Input names of a training graph besides the weights and the tracer's per-batch inputs. */
export const INPUTS = {
  targets: 'targets',
  stepSize: 'step_size',
  biasCorrection2: 'bias_correction2',
} as const;

/** A weight-decay group's per-step input 1 - lr * wd. */
export const decayFactorInput = (group: string) => `decay_factor.${group}`;

/** Flat state vectors of one parameter group: `params.decay`, `adam_m.plain`, ... */
export type StateVector = 'params' | 'adam_m' | 'adam_v';
export const STATE_VECTORS: readonly StateVector[] = ['params', 'adam_m', 'adam_v'];
export const stateInput = (vector: StateVector, group: string) => `${vector}.${group}`;

export interface TracedForward {
  readonly g: GraphBuilder;
  readonly shapes: ShapeTable;
  readonly layout: ParamLayout;
  /** Trainer parameter name -> graph input holding that weight (a view of the flat parameters). */
  readonly weightInputs: ReadonlyMap<string, string>;
  /** The tracer's per-batch inputs other than the token ids (causal bias, padding bias, position ids, rotary tables): fixed for a fixed batch shape. */
  readonly constantFeeds: Readonly<Record<string, ort.Tensor>>;
  /** The value holding the logits [B,T,V]. */
  readonly logits: string;
  /** Captured hooks -> graph outputs. */
  readonly hooks: readonly { readonly hook: HookName; readonly output: string }[];
}

/**
 * model-io's one forward pass (forward.ts through its ONNX tracer) for a trainer config, with every
 * weight a graph input instead of an initializer, for one fixed batch shape [batch, seqLen].
 */
export function traceTrainingForward(config: TrainConfig, batch: number, seqLen: number, capture: ReadonlySet<HookName> = new Set()): TracedForward {
  const model = config.model;
  const arch = cachedArch(model);
  const layout = new ParamLayout(model, config.initStd, config.optimizer);
  const g = new GraphBuilder();
  try {
    const inputShapes = new Map<string, Shape>();
    const weightInputs = new Map<string, string>();
    for (const { spec } of layout.slots) {
      const name = `w:${spec.name}`;
      g.input(name, 'float32', spec.shape);
      inputShapes.set(name, spec.shape);
      weightInputs.set(spec.name, name);
    }
    const table = fixedPositionTable(arch, model);
    const positions = table ? g.weight('position_table', table) : undefined;
    if (positions) inputShapes.set(positions, table!.shape);
    const ops = new OnnxGraphOps(g, arch, capture, []);
    // the LM head multiplies by the [vocab, d] table itself (Gemm transB): tied wte, or lm_head.weight
    const weights = trainerWeights<string>(model, { param: (name) => weightInputs.get(name)!, transposed: transposedWeight, ...(positions ? { fixedPositions: positions } : {}) });
    const logits = forward(ops, arch, weights); // [B,T,V]
    // the tracer declared its per-batch inputs with their feed recipes: build them once for this shape
    const ctx = { batch, seqLen, ids: new Int32Array(batch * seqLen) };
    const constantFeeds: Record<string, ort.Tensor> = {};
    for (const input of ops.feeds.values()) {
      const tensor = input.make(ctx);
      inputShapes.set(input.name, tensor.dims);
      if (input.name !== IDS_INPUT) constantFeeds[input.name] = tensor;
    }
    if (!ops.feeds.has(IDS_INPUT)) throw new Error(`engine onnx: the traced forward has no '${IDS_INPUT}' input`);
    const shapes = new ShapeTable(inputShapes);
    shapes.update(g.nodeList);
    return { g, shapes, layout, weightInputs, constantFeeds, logits, hooks: ops.capturedHooks };
  } catch (err) {
    g.discard();
    throw err;
  }
}

/** Graph outputs of a training step. */
export interface StepOutputs {
  /** `stateInput(vector, group)` -> the graph output holding its updated value. */
  readonly state: ReadonlyMap<string, string>;
  readonly loss: string;
  readonly gradNorm: string;
}

export interface TrainingGraph extends TracedForward {
  readonly outputs: StepOutputs;
  /** With `mode: 'gradients'`: trainer parameter name -> graph output of its gradient (no update). */
  readonly gradients: ReadonlyMap<string, string>;
}

export interface TrainingGraphOptions {
  /** `step`: loss, gradients, clipping and the AdamW update in one graph; `gradients`: loss and each parameter's gradient (checks). */
  readonly mode?: 'step' | 'gradients';
  readonly gatherGradient?: GatherGradient;
}

/**
 * One whole training step as one ONNX graph: the traced forward, the mean cross-entropy, its
 * reverse-mode gradient with respect to every weight, and the clipped AdamW update of the flat
 * parameter vector and moments. The host feeds token ids, targets and three scalars per step.
 */
export function buildTrainingGraph(config: TrainConfig, batch: number, seqLen: number, options: TrainingGraphOptions = {}): TrainingGraph {
  const traced = traceTrainingForward(config, batch, seqLen);
  const { g, shapes, layout, weightInputs } = traced;
  try {
    const ctx = new GradContext(g, shapes, 'float32', options.gatherGradient ?? 'scatter');
    g.input(INPUTS.targets, 'int64', [batch, seqLen]);
    shapes.set(INPUTS.targets, [batch, seqLen]);
    const { loss, dLogits } = appendCrossEntropy(ctx, traced.logits, INPUTS.targets, lossWeights(config.model, seqLen));
    const wrt = layout.slots.map(({ spec }) => weightInputs.get(spec.name)!);
    const grads = appendBackward(g, shapes, { seeds: new Map([[traced.logits, dLogits]]), wrt, gatherGradient: options.gatherGradient ?? 'scatter' });
    const lossOut = g.output('loss', loss, []);
    if (options.mode === 'gradients') {
      const gradients = new Map(layout.slots.map(({ spec }) => [spec.name, g.output(`grad:${spec.name}`, grads.get(weightInputs.get(spec.name)!)!, spec.shape)]));
      return { ...traced, outputs: { state: new Map(), loss: lossOut, gradNorm: '' }, gradients };
    }
    const decayed = layout.groups.filter((group) => group.weightDecay > 0).map((group) => decayFactorInput(group.name));
    for (const name of [...decayed, INPUTS.stepSize, INPUTS.biasCorrection2]) {
      g.input(name, 'float32', []);
      shapes.set(name, []);
    }
    const groups = layout.groups.map((group) => {
      for (const vector of STATE_VECTORS) {
        g.input(stateInput(vector, group.name), 'float32', [group.size]);
        shapes.set(stateInput(vector, group.name), [group.size]);
      }
      const members = layout.slots.filter((s) => s.offset >= group.offset && s.offset < group.offset + group.size);
      const flat = ctx.node('Concat', members.map(({ spec, size }) => ctx.reshape(grads.get(weightInputs.get(spec.name)!)!, [size])), { axis: 0 }); // [n]
      const decay = group.weightDecay > 0 ? { decayFactor: decayFactorInput(group.name) } : {};
      return { params: stateInput('params', group.name), grads: flat, m: stateInput('adam_m', group.name), v: stateInput('adam_v', group.name), ...decay };
    });
    const updated = appendAdamW(ctx, config.optimizer, groups, { stepSize: INPUTS.stepSize, biasCorrection2: INPUTS.biasCorrection2 });
    const state = new Map<string, string>();
    layout.groups.forEach((group, i) => {
      const { params, m, v } = updated.groups[i];
      for (const [vector, value] of [['params', params], ['adam_m', m], ['adam_v', v]] as const) {
        state.set(stateInput(vector, group.name), g.output(`${stateInput(vector, group.name)}.out`, value, [group.size]));
      }
    });
    const outputs: StepOutputs = { state, loss: lossOut, gradNorm: g.output('grad_norm', updated.gradNorm, []) };
    return { ...traced, outputs, gradients: new Map() };
  } catch (err) {
    g.discard();
    throw err;
  }
}
