import type { Activation, ArchSpec, NormKind, RotaryScheme } from '../../arch-spec.js';
import type { AttentionScores, ForwardOps } from '../../forward/ops.js';
import { alibiBias, rotaryTables } from '../../forward/position-tables.js';
import type { HookName } from '../../hooks.js';
import type { Linear, Norm } from '../../weights.js';
import { causalBias, paddingBias } from './attention-bias.js';
import { floatTensor, int64Tensor, type FeedMaker } from './feeds.js';
import { hookWidth, type InterventionSpec } from '../../interventions.js';
import type { Dim, ElemType, GraphBuilder } from './onnx-graph.js';
import { emitIntervention } from './onnx-interventions.js';

/** Symbolic graph dimensions: every traced graph takes any batch size and sequence length. */
const B: Dim = 'batch';
const T: Dim = 'seq';

/** Weight-handle prefix for "this [out, in] initializer, transposed": the tied LM head reuses the embedding table. */
const TRANSPOSED = 'transposed:';

export function transposedWeight(initializer: string): string {
  return `${TRANSPOSED}${initializer}`;
}

function isTransposedWeight(w: string): boolean {
  return w.startsWith(TRANSPOSED);
}

/** A graph input together with how to compute it on the host for each batch. */
export interface GraphInput {
  readonly name: string;
  readonly make: FeedMaker;
}

/**
 * The forward ops as a tracer: running `forward(ops, arch, weights)` against it emits ONNX nodes
 * instead of computing. Handles are value names, weights are initializer names. Per-batch inputs
 * (ids, attention biases, rotary tables, intervention masks) are declared on first use together with
 * the host function that builds them, so the graph carries its own feed recipe.
 */
export class OnnxGraphOps implements ForwardOps<string, string> {
  readonly feeds = new Map<string, GraphInput>();
  /** Hooks made graph outputs (and the output names holding them), in forward order. */
  readonly capturedHooks: { hook: HookName; output: string }[] = [];
  private readonly attnBias = new Map<string, string>();
  private readonly rotaryInputs = new Map<string, { cos: string; sin: string }>();
  private batchAndSeq: { batch: string; seq: string } | undefined;

  constructor(
    private readonly g: GraphBuilder,
    private readonly arch: ArchSpec,
    private readonly capture: ReadonlySet<HookName>,
    private readonly interventions: readonly InterventionSpec[],
  ) {}

  /** Declare (once) a per-batch graph input. */
  readonly requireInput = (name: string, type: ElemType, dims: readonly Dim[], make: FeedMaker): string => {
    if (!this.feeds.has(name)) {
      this.g.input(name, type, dims);
      this.feeds.set(name, { name, make });
    }
    return name;
  };

  private ids(): string {
    return this.requireInput('input_ids', 'int64', [B, T], (ctx) => {
      if (!ctx.ids) throw new Error('graph input input_ids: no token ids given');
      return int64Tensor(ctx.ids, [ctx.batch, ctx.seqLen]);
    });
  }

  /** The residual stream entering a graph that starts at a block (layer streaming). */
  residualInput(): string {
    return this.requireInput('resid_in', 'float32', [B, T, this.arch.dModel], (ctx) => {
      if (!ctx.residual) throw new Error('graph input resid_in: no residual stream given');
      return floatTensor(ctx.residual, [ctx.batch, ctx.seqLen, this.arch.dModel]);
    });
  }

  /** Make `value` a graph output (e.g. the residual leaving a streamed block); returns the output name. */
  output(name: string, value: string, dims: readonly Dim[]): string {
    return this.g.output(name, value, dims);
  }

  embedTokens(table: string, scale: number): string {
    const x = this.g.node('Gather', [table, this.ids()], { axis: 0 }); // [B,T,d]
    return scale === 1 ? x : this.g.node('Mul', [x, this.g.scalar(scale)]);
  }

  embedPositions(table: string, offset: number): string {
    const positions = this.requireInput(`position_ids_${offset}`, 'int64', [T], (ctx) =>
      int64Tensor(Array.from({ length: ctx.seqLen }, (_, t) => offset + t), [ctx.seqLen]),
    );
    return this.g.node('Unsqueeze', [this.g.node('Gather', [table, positions], { axis: 0 }), this.g.ints([0])]); // [1,T,d]
  }

  add(a: string, b: string): string {
    return this.g.node('Add', [a, b]);
  }

  mul(a: string, b: string): string {
    return this.g.node('Mul', [a, b]);
  }

  linear(x: string, { w, b }: Linear<string>): string {
    if (isTransposedWeight(w)) {
      // tied LM head: x E^T straight from the [vocab, d] embedding initializer (Gemm transB), no second copy
      const table = w.slice(TRANSPOSED.length);
      const rows = this.g.node('Reshape', [x, this.g.ints([-1, this.arch.dModel])]); // [B*T,d]
      const y = this.g.node('Gemm', b === undefined ? [rows, table] : [rows, table, b], { transB: 1 }); // [B*T,V]
      const { batch, seq } = this.dynamicDims(x);
      return this.g.node('Reshape', [y, this.g.node('Concat', [batch, seq, this.g.ints([-1])], { axis: 0 })]); // [B,T,V]
    }
    const y = this.g.node('MatMul', [x, w]); // W pre-laid [in, out]
    return b === undefined ? y : this.g.node('Add', [y, b]);
  }

  norm(x: string, { g, b }: Norm<string>, kind: NormKind, eps: number): string {
    if (kind === 'layernorm') {
      // biased variance over the last axis, as torch.nn.LayerNorm
      return this.g.node('LayerNormalization', b === undefined ? [x, g] : [x, g, b], { axis: -1, epsilon: { float: eps } });
    }
    // RMSNorm: x / sqrt(mean(x^2) + eps) * g (Zhang & Sennrich 2019); ORT fuses this pattern into its own kernel
    const meanSquare = this.g.node('ReduceMean', [this.g.node('Mul', [x, x]), this.g.ints([-1])], { keepdims: 1 });
    const rms = this.g.node('Sqrt', [this.g.node('Add', [meanSquare, this.g.scalar(eps)])]);
    return this.g.node('Mul', [this.g.node('Div', [x, rms]), g]);
  }

  activation(x: string, kind: Activation): string {
    switch (kind) {
      case 'relu':
        return this.g.node('Relu', [x]);
      case 'silu':
        return this.g.node('Mul', [x, this.g.node('Sigmoid', [x])]);
      case 'gelu':
        return this.g.node('Gelu', [x], { approximate: 'none' });
      case 'gelu_tanh':
        return this.g.node('Gelu', [x], { approximate: 'tanh' });
    }
  }

  splitHeads(x: string, heads: number, headDim: number): string {
    return this.g.node('Reshape', [x, this.g.ints([0, 0, heads, headDim])]); // [B,T,heads,hd]
  }

  /** The cos/sin inputs of one rotary scheme ([T,1,r], broadcast over batch and heads), declared once per scheme. */
  private rotaryTable(scheme: RotaryScheme): { cos: string; sin: string } {
    const id = JSON.stringify(scheme);
    let table = this.rotaryInputs.get(id);
    if (!table) {
      const { rotaryDim } = scheme;
      // rope_<r>_<base>[_<scaling type>], numbered when two schemes would share a name
      let key = `${rotaryDim}_${scheme.base}${scheme.scaling ? `_${scheme.scaling.type}` : ''}`;
      if (this.feeds.has(`rope_cos_${key}`)) key = `${key}_${this.rotaryInputs.size}`;
      // same float32 tables as the tfjs engine, cos and sin of one batch from one computation
      let last: { seqLen: number; tables: ReturnType<typeof rotaryTables> } | undefined;
      const tables = (seqLen: number) => (last?.seqLen === seqLen ? last : (last = { seqLen, tables: rotaryTables(seqLen, scheme) })).tables;
      const make = (which: 'cos' | 'sin'): FeedMaker => (ctx) => floatTensor(tables(ctx.seqLen)[which], [ctx.seqLen, 1, rotaryDim]);
      table = {
        cos: this.requireInput(`rope_cos_${key}`, 'float32', [T, 1, rotaryDim], make('cos')),
        sin: this.requireInput(`rope_sin_${key}`, 'float32', [T, 1, rotaryDim], make('sin')),
      };
      this.rotaryInputs.set(id, table);
    }
    return table;
  }

  private slice(x: string, start: number, end: number, axis: number): string {
    return this.g.node('Slice', [x, this.g.ints([start]), this.g.ints([end]), this.g.ints([axis])]);
  }

  rotary(x: string, scheme: RotaryScheme): string {
    const headDim = this.arch.headDim;
    const { rotaryDim } = scheme;
    const { cos, sin } = this.rotaryTable(scheme);
    const half = rotaryDim / 2;
    const rot = rotaryDim === headDim ? x : this.slice(x, 0, rotaryDim, 3);
    const x1 = this.slice(rot, 0, half, 3);
    const x2 = this.slice(rot, half, rotaryDim, 3);
    const rotateHalf = this.g.node('Concat', [this.g.node('Neg', [x2]), x1], { axis: 3 });
    const rotated = this.g.node('Add', [this.g.node('Mul', [rot, cos]), this.g.node('Mul', [rotateHalf, sin])]); // x cos + rotate_half(x) sin
    if (rotaryDim === headDim) return rotated;
    return this.g.node('Concat', [rotated, this.slice(x, rotaryDim, headDim, 3)], { axis: 3 });
  }

  /** [B,1,T,T] additive bias: causal (+ sliding window) plus key padding; built once per graph. */
  private bias(slidingWindow: number | undefined): string {
    const key = slidingWindow === undefined ? 'causal' : `window_${slidingWindow}`;
    let bias = this.attnBias.get(key);
    if (!bias) {
      const causal = this.requireInput(`${key}_bias`, 'float32', [1, 1, T, T], (ctx) =>
        floatTensor(causalBias(ctx.seqLen, slidingWindow), [1, 1, ctx.seqLen, ctx.seqLen]),
      );
      const padding = this.requireInput('padding_bias', 'float32', [B, 1, 1, T], (ctx) =>
        floatTensor(paddingBias(ctx.batch, ctx.seqLen, ctx.lengths), [ctx.batch, 1, 1, ctx.seqLen]),
      );
      bias = this.g.node('Add', [causal, padding]);
      this.attnBias.set(key, bias);
    }
    return bias;
  }

  /** Dynamic [B] and [T] as 1-element int64 tensors, from the first activation's shape. */
  private dynamicDims(like: string): { batch: string; seq: string } {
    if (!this.batchAndSeq) {
      const shape = this.g.node('Shape', [like]);
      this.batchAndSeq = { batch: this.slice(shape, 0, 1, 0), seq: this.slice(shape, 1, 2, 0) };
    }
    return this.batchAndSeq;
  }

  /**
   * `own()` when every query head has its own kv head; else `grouped(g)`, g = nHeads / nKvHeads query
   * heads per kv head: GQA without copying k or v, query heads j*g..(j+1)*g-1 sharing kv head j
   * (transformers' repeat_interleave order).
   */
  private perKvHead(own: () => string, grouped: (groups: number) => string): string {
    const { nHeads, nKvHeads } = this.arch;
    return nKvHeads === nHeads ? own() : grouped(nHeads / nKvHeads);
  }

  /** [1,H,1,T] ALiBi bias (slope_h x key position), fed per batch; one input per slope set. */
  private alibi(slopes: readonly number[]): string {
    const heads = slopes.length;
    return this.requireInput(`alibi_bias_${heads}`, 'float32', [1, heads, 1, T], (ctx) => floatTensor(alibiBias(slopes, ctx.seqLen), [1, heads, 1, ctx.seqLen]));
  }

  attentionPattern(q: string, k: string, { scale, slidingWindow, alibiSlopes, softCap }: AttentionScores): string {
    const { nHeads, nKvHeads, headDim } = this.arch;
    const qh = this.g.node('Transpose', [q], { perm: [0, 2, 1, 3] }); // [B,H,T,hd]
    const kT = this.g.node('Transpose', [k], { perm: [0, 2, 3, 1] }); // [B,Hkv,hd,T]
    const scores = this.perKvHead(
      () => this.g.node('MatMul', [qh, kT]), // [B,H,T,T]
      (groups) => {
        const qg = this.g.node('Reshape', [qh, this.g.ints([0, nKvHeads, groups, -1, headDim])]); // [B,Hkv,g,T,hd]
        const s = this.g.node('MatMul', [qg, this.g.node('Unsqueeze', [kT, this.g.ints([2])])]); // [B,Hkv,g,T,T]
        return this.g.node('Reshape', [s, this.g.ints([0, nHeads, -1, 0])]); // [B,H,T,T]
      },
    );
    let scaled = this.g.node('Mul', [scores, this.g.scalar(scale)]);
    if (alibiSlopes) scaled = this.g.node('Add', [scaled, this.alibi(alibiSlopes)]);
    if (softCap !== undefined) scaled = this.softCap(scaled, softCap); // before the mask: a masked score stays masked
    return this.g.node('Softmax', [this.g.node('Add', [scaled, this.bias(slidingWindow)])], { axis: -1 }); // [B,H,T,T]
  }

  softmax(x: string): string {
    return this.g.node('Softmax', [x], { axis: -1 });
  }

  softCap(x: string, cap: number): string {
    const c = this.g.scalar(cap);
    return this.g.node('Mul', [this.g.node('Tanh', [this.g.node('Div', [x, c])]), c]);
  }

  topKWeights(probs: string, k: number, renormalize: boolean): string {
    const values = this.g.fresh('topk_values');
    const indices = this.g.fresh('topk_indices');
    // largest first; equal values: the lower index first (ONNX TopK, as tf.topk)
    this.g.node('TopK', [probs, this.g.ints([k])], { axis: -1, largest: 1, sorted: 1 }, [values, indices]); // [B,T,k]
    const kept = renormalize ? this.g.node('Div', [values, this.g.node('ReduceSum', [values, this.g.ints([-1])], { keepdims: 1 })]) : values;
    const zeros = this.g.node('Expand', [this.g.scalar(0), this.g.node('Shape', [probs])]); // [B,T,E]
    return this.g.node('ScatterElements', [zeros, indices, kept], { axis: -1 }); // [B,T,E]
  }

  lastAxisSlice(x: string, index: number): string {
    return this.slice(x, index, index + 1, -1);
  }

  attend(pattern: string, v: string): string {
    const { nHeads, nKvHeads, headDim } = this.arch;
    const vh = this.g.node('Transpose', [v], { perm: [0, 2, 1, 3] }); // [B,Hkv,T,hd]
    const z = this.perKvHead(
      () => this.g.node('MatMul', [pattern, vh]), // [B,H,T,hd]
      (groups) => {
        const { batch, seq } = this.dynamicDims(v);
        const grouped = this.g.node('Reshape', [pattern, this.g.node('Concat', [batch, this.g.ints([nKvHeads, groups]), seq, seq], { axis: 0 })]); // [B,Hkv,g,T,T]
        const zg = this.g.node('MatMul', [grouped, this.g.node('Unsqueeze', [vh, this.g.ints([2])])]); // [B,Hkv,g,T,hd]
        return this.g.node('Reshape', [zg, this.g.ints([0, nHeads, -1, headDim])]); // [B,H,T,hd]
      },
    );
    const zt = this.g.node('Transpose', [z], { perm: [0, 2, 1, 3] }); // [B,T,H,hd]
    return this.g.node('Reshape', [zt, this.g.ints([0, 0, nHeads * headDim])]); // [B,T,H*hd]
  }

  hook(name: HookName, x: string): string {
    let y = x;
    for (const spec of this.interventions) {
      if (spec.hook === name) y = emitIntervention(this.g, this.requireInput, y, spec, hookWidth(this.arch, name));
    }
    if (this.capture.has(name)) {
      this.capturedHooks.push({ hook: name, output: this.g.output(name, y, hookDims(this.arch, name)) });
    }
    return y;
  }
}

/** Output shape of a hook, with symbolic batch and sequence dims. */
export function hookDims(arch: ArchSpec, name: HookName): Dim[] {
  if (name === 'hook_pos_embed') return [1, T, arch.dModel];
  if (name === 'logits') return [B, T, arch.vocabSize];
  if (name.endsWith('.attn.hook_pattern')) return [B, arch.nHeads, T, T];
  if (name.endsWith('.attn.hook_q')) return [B, T, arch.nHeads, arch.headDim];
  if (name.endsWith('.attn.hook_k') || name.endsWith('.attn.hook_v')) return [B, T, arch.nKvHeads, arch.headDim];
  if (name.endsWith('.mlp.hook_router_probs')) return [B, T, arch.moe?.experts ?? 0];
  return [B, T, arch.dModel];
}
