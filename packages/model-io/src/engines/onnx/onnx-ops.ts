import type { Activation, ArchSpec, NormKind, RotaryScheme } from '../../arch-spec.js';
import { sinkRows } from '../../families/arch-defaults.js';
import type { AttentionScores, ForwardOps } from '../../forward/ops.js';
import { alibiBias, rotaryTables } from '../../forward/position-tables.js';
import { hookRows, type HookName } from '../../hooks.js';
import type { Linear, Norm } from '../../weights.js';
import { causalBias, paddingBias } from './attention-bias.js';
import { floatTensor, int64Tensor, type FeedMaker } from './feeds.js';
import { hookWidth, type InterventionSpec } from '../../interventions.js';
import { CONTRIB_DOMAIN, type Dim, type ElemType, type GraphBuilder } from './onnx-graph.js';
import { emitIntervention, type RequireInput } from './onnx-interventions.js';

/** Symbolic graph dimensions: every traced graph takes any batch size and sequence length. */
const B: Dim = 'batch';
const T: Dim = 'seq';
/** Rows inside the blocks when they differ from the tokens (a learnable sink token: seq + 1). */
const ROWS: Dim = 'rows';

/** Weight-handle prefix for "this [out, in] initializer, transposed": the tied LM head reuses the embedding table. */
const TRANSPOSED = 'transposed:';
/** Slice end meaning "to the end of the axis". */
const INT64_MAX = 2 ** 62;
/** ONNX TensorProto.DataType FLOAT, for Cast. */
const FLOAT = 1;

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
    /**
     * `contribOps`: ORT's com.microsoft operators where they save work (FusedMatMul for [out, in]
     * weights); off for graphs other tools transform (@sinkscope/train's autodiff knows standard ops).
     */
    private readonly options: { readonly contribOps?: boolean } = {},
  ) {}

  /** Declare (once) a per-batch graph input. */
  readonly requireInput = (name: string, type: ElemType, dims: readonly Dim[], make: FeedMaker): string => {
    if (!this.feeds.has(name)) {
      this.g.input(name, type, dims);
      this.feeds.set(name, { name, make });
    }
    return name;
  };

  /** Rows inside the blocks: the tokens, plus a learnable sink token's row. */
  private rowsDim(): Dim {
    return sinkRows(this.arch) > 0 ? ROWS : T;
  }

  private rowsOf(ctx: { seqLen: number }): number {
    return ctx.seqLen + sinkRows(this.arch);
  }

  private ids(): string {
    return this.requireInput('input_ids', 'int64', [B, T], (ctx) => {
      if (!ctx.ids) throw new Error('graph input input_ids: no token ids given');
      return int64Tensor(ctx.ids, [ctx.batch, ctx.seqLen]);
    });
  }

  /** The residual stream entering a graph that starts at a block (layer streaming). */
  residualInput(): string {
    return this.requireInput('resid_in', 'float32', [B, this.rowsDim(), this.arch.dModel], (ctx) => {
      if (!ctx.residual) throw new Error('graph input resid_in: no residual stream given');
      return floatTensor(ctx.residual, [ctx.batch, this.rowsOf(ctx), this.arch.dModel]);
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
    // an [out, in] weight as stored (torch Linear, or the tied LM head's [vocab, d] embedding table):
    // x W^T by Gemm transB, no transposed copy
    const stored = isTransposedWeight(w) ? w.slice(TRANSPOSED.length) : this.g.transposedSource(w);
    if (stored !== undefined && this.options.contribOps) {
      // any rank, the output written where the consumer reads it (Gemm needs 2-D rows, and reshaping
      // its output back copied the whole [B,T,V] logits when they are a graph output)
      const y = this.g.node('FusedMatMul', [x, stored], { transB: 1 }, undefined, CONTRIB_DOMAIN);
      return b === undefined ? y : this.g.node('Add', [y, b]);
    }
    if (stored !== undefined) {
      const rows = this.g.node('Flatten', [x], { axis: 2 }); // [B*T,in]
      const y = this.g.node('Gemm', b === undefined ? [rows, stored] : [rows, stored, b], { transB: 1 }); // [B*T,out]
      const { batch, seq } = this.dynamicDims(x);
      return this.g.node('Reshape', [y, this.g.node('Concat', [batch, seq, this.g.ints([-1])], { axis: 0 })]); // [B,T,out]
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
      const make = (which: 'cos' | 'sin'): FeedMaker => (ctx) => floatTensor(tables(this.rowsOf(ctx))[which], [this.rowsOf(ctx), 1, rotaryDim]);
      table = {
        cos: this.requireInput(`rope_cos_${key}`, 'float32', [this.rowsDim(), 1, rotaryDim], make('cos')),
        sin: this.requireInput(`rope_sin_${key}`, 'float32', [this.rowsDim(), 1, rotaryDim], make('sin')),
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

  /** [B,1,T,T] additive bias: causal (+ sliding window, prefix-LM, sink rows; `keyVisible`) plus key padding; built once per graph. */
  private bias(scores: AttentionScores): string {
    const { slidingWindow, prefixLength } = scores;
    const sink = scores.sinkRows ?? 0;
    const key = [slidingWindow === undefined ? 'causal' : `window_${slidingWindow}`, ...(prefixLength ? [`prefix_${prefixLength}`] : []), ...(sink ? [`sink_${sink}`] : [])].join('_');
    let bias = this.attnBias.get(key);
    if (!bias) {
      const rows = this.rowsDim();
      const causal = this.requireInput(`${key}_bias`, 'float32', [1, 1, rows, rows], (ctx) =>
        floatTensor(causalBias(this.rowsOf(ctx), slidingWindow, { ...(prefixLength ? { prefixLength } : {}), sinkRows: sink }), [1, 1, this.rowsOf(ctx), this.rowsOf(ctx)]),
      );
      const padding = this.requireInput('padding_bias', 'float32', [B, 1, 1, rows], (ctx) =>
        floatTensor(paddingBias(ctx.batch, this.rowsOf(ctx), ctx.lengths, sinkRows(this.arch)), [ctx.batch, 1, 1, this.rowsOf(ctx)]),
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

  /** [1,H,1,T] ALiBi bias (slope_h x key position), fed per batch; one input per slope set (T: the rows inside the blocks). */
  private alibi(slopes: readonly number[]): string {
    const heads = slopes.length;
    return this.requireInput(`alibi_bias_${heads}`, 'float32', [1, heads, 1, this.rowsDim()], (ctx) => floatTensor(alibiBias(slopes, this.rowsOf(ctx)), [1, heads, 1, this.rowsOf(ctx)]));
  }

  /**
   * ALiBi on scaled scores [B,H,T,T] (Press et al. 2022): slope_h x key position (transformers' bloom
   * form), or slope_h x (key - query position) when the weights are not a softmax over the keys alone
   * (non-softmax operations, an extra slot): there the per-query constant does not cancel.
   */
  private withAlibi(scaled: string, { alibiSlopes, op }: AttentionScores, relative: boolean): string {
    if (!alibiSlopes) return scaled;
    const keyPositions = this.alibi(alibiSlopes); // [1,H,1,T]
    const keyTerm = this.g.node('Add', [scaled, keyPositions]);
    if (!relative && (op === undefined || op === 'softmax')) return keyTerm;
    return this.g.node('Sub', [keyTerm, this.g.node('Transpose', [keyPositions], { perm: [0, 1, 3, 2] })]); // - slope_h x query position
  }

  /** Scaled scores [B,H,T,T] of q [B,T,H,hd] against k [B,T,Hkv,hd] (through elu + 1 for linear attention); also q as [B,H,T,hd]. */
  private scores(q: string, k: string, { scale, op }: AttentionScores): { scaled: string; qh: string } {
    const { nHeads, nKvHeads, headDim } = this.arch;
    const feature = (x: string) => (op === 'elu1' ? eluPlusOne(this.g, x) : x);
    const qh = this.g.node('Transpose', [feature(q)], { perm: [0, 2, 1, 3] }); // [B,H,T,hd]
    const kT = this.g.node('Transpose', [feature(k)], { perm: [0, 2, 3, 1] }); // [B,Hkv,hd,T]
    const scores = this.perKvHead(
      () => this.g.node('MatMul', [qh, kT]), // [B,H,T,T]
      (groups) => {
        const qg = this.g.node('Reshape', [qh, this.g.ints([0, nKvHeads, groups, -1, headDim])]); // [B,Hkv,g,T,hd]
        const s = this.g.node('MatMul', [qg, this.g.node('Unsqueeze', [kT, this.g.ints([2])])]); // [B,Hkv,g,T,T]
        return this.g.node('Reshape', [s, this.g.ints([0, nHeads, -1, 0])]); // [B,H,T,T]
      },
    );
    return { scaled: this.g.node('Mul', [scores, this.g.scalar(scale)]), qh };
  }

  /**
   * Weights from scaled scores and the additive bias (0 / -1e9): softmax, raw or normalised sigmoid,
   * or normalised linear-attention scores (Gu et al. 2025, sec. 7); masked entries of the non-softmax
   * ops are exactly 0. Sigmoids go through log sigmoid(s) = -softplus(-s): ORT's CPU Sigmoid (1.20)
   * returns exactly 0 for s <= -18 (and is 17 % off at -15), so a row whose visible scores are all
   * below -18 normalised to 0 / 0 = NaN (a sigmoid_norm sweep run diverged so); normalised sigmoid is
   * then softmax(log sigmoid(s) + bias), exact for any scores, raw sigmoid exp(log sigmoid(s)).
   */
  private weights(scaled: string, bias: string, op: AttentionScores['op']): string {
    if (op === undefined || op === 'softmax') return this.g.node('Softmax', [this.g.node('Add', [scaled, bias])], { axis: -1 });
    const logSigmoid = () => this.g.node('Neg', [this.g.node('Softplus', [this.g.node('Neg', [scaled])])]);
    if (op === 'sigmoid_norm') return this.g.node('Softmax', [this.g.node('Add', [logSigmoid(), bias])], { axis: -1 });
    const keep = this.g.node('Cast', [this.g.node('Equal', [bias, this.g.scalar(0)])], { to: FLOAT });
    const similarity = this.g.node('Mul', [op === 'elu1' ? scaled : this.g.node('Exp', [logSigmoid()]), keep]);
    if (op === 'sigmoid') return similarity;
    return this.g.node('Div', [similarity, this.g.node('ReduceSum', [similarity, this.g.ints([-1])], { keepdims: 1 })]);
  }

  /** Gemma 2's soft-capping of the scaled (and biased) scores, before the mask: a masked score stays masked. */
  private withSoftCap(scores: string, { softCap }: AttentionScores): string {
    return softCap === undefined ? scores : this.softCap(scores, softCap);
  }

  attentionPattern(q: string, k: string, scores: AttentionScores): string {
    return this.weights(this.withSoftCap(this.withAlibi(this.scores(q, k, scores).scaled, scores, false), scores), this.bias(scores), scores.op); // [B,H,T,T]
  }

  slottedAttentionPattern(q: string, k: string, scores: AttentionScores, slotKey: string | undefined): { pattern: string; slot: string } {
    const { nHeads, headDim } = this.arch;
    const { scaled: keyScores, qh } = this.scores(q, k, scores);
    const scaled = this.withAlibi(keyScores, scores, true); // the slot has no position
    const key = slotKey ?? this.g.floats(new Array<number>(nHeads * headDim).fill(0));
    const keyHeads = this.g.node('Reshape', [scores.op === 'elu1' ? eluPlusOne(this.g, key) : key, this.g.ints([1, nHeads, 1, headDim])]); // [1,H,1,hd]
    const slotScores = this.g.node('Mul', [this.g.node('ReduceSum', [this.g.node('Mul', [qh, keyHeads]), this.g.ints([-1])], { keepdims: 1 }), this.g.scalar(scores.scale)]); // [B,H,T,1]
    const bias = this.g.node('Pad', [this.bias(scores), this.g.ints([0, 0, 0, 1, 0, 0, 0, 0])]); // the slot column: 0, every query sees it
    const all = this.weights(this.withSoftCap(this.g.node('Concat', [slotScores, scaled], { axis: 3 }), scores), bias, scores.op); // [B,H,T,1+T]
    return { slot: this.slice(all, 0, 1, 3), pattern: this.slice(all, 1, INT64_MAX, 3) };
  }

  attendSlot(slot: string, slotValue: string): string {
    const { nHeads, headDim } = this.arch;
    const z = this.g.node('Mul', [slot, this.g.node('Reshape', [slotValue, this.g.ints([1, nHeads, 1, headDim])])]); // [B,H,T,hd]
    const zt = this.g.node('Transpose', [z], { perm: [0, 2, 1, 3] }); // [B,T,H,hd]
    return this.g.node('Reshape', [zt, this.g.ints([0, 0, nHeads * headDim])]); // [B,T,H*hd]
  }

  prependRow(x: string, row: string): string {
    const d = this.arch.dModel;
    const { batch } = this.dynamicDims(x);
    const rows = this.g.node('Expand', [this.g.node('Reshape', [row, this.g.ints([1, 1, d])]), this.g.node('Concat', [batch, this.g.ints([1, d])], { axis: 0 })]); // [B,1,d]
    return this.g.node('Concat', [rows, x], { axis: 1 }); // [B,1+T,d]
  }

  dropRows(x: string, count: number): string {
    return this.slice(x, count, INT64_MAX, 1);
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

  /**
   * `requireInput` for per-batch inputs shaped by a hook's rows: the tokens, or (inside the blocks of
   * a sink-token model) tokens + 1, with each sequence's length shifted by the sink row.
   */
  private rowInputs(hook: HookName): RequireInput {
    const extra = hookRows(this.arch, hook, 0);
    if (extra === 0) return this.requireInput;
    return (name, type, dims, make) =>
      this.requireInput(`${name}_rows`, type, dims.map((d) => (d === T ? ROWS : d)), (ctx) =>
        make({ ...ctx, seqLen: ctx.seqLen + extra, ...(ctx.lengths ? { lengths: ctx.lengths.map((n) => n + extra) } : {}) }),
      );
  }

  hook(name: HookName, x: string): string {
    let y = x;
    for (const spec of this.interventions) {
      if (spec.hook === name) y = emitIntervention(this.g, this.rowInputs(name), y, spec, hookWidth(this.arch, name));
    }
    if (this.capture.has(name)) {
      this.capturedHooks.push({ hook: name, output: this.g.output(name, y, hookDims(this.arch, name)) });
    }
    return y;
  }
}

/** Output shape of a hook, with symbolic batch and sequence dims (`rows` = seq + 1 inside the blocks of a sink-token model). */
export function hookDims(arch: ArchSpec, name: HookName): Dim[] {
  if (name === 'hook_pos_embed') return [1, T, arch.dModel];
  if (name === 'logits') return [B, T, arch.vocabSize];
  if (name === 'hook_embed') return [B, T, arch.dModel];
  const R = sinkRows(arch) > 0 ? ROWS : T;
  if (name.endsWith('.attn.hook_pattern')) return [B, arch.nHeads, R, R];
  if (name.endsWith('.attn.hook_slot')) return [B, arch.nHeads, R, 1];
  if (name.endsWith('.attn.hook_q')) return [B, R, arch.nHeads, arch.headDim];
  if (name.endsWith('.attn.hook_k') || name.endsWith('.attn.hook_v')) return [B, R, arch.nKvHeads, arch.headDim];
  if (name.endsWith('.mlp.hook_router_probs')) return [B, R, arch.moe?.experts ?? 0];
  return [B, R, arch.dModel];
}

/** elu(x) + 1: the positive feature map of linear attention (Katharopoulos et al. 2020). */
function eluPlusOne(g: GraphBuilder, x: string): string {
  return g.node('Add', [g.node('Elu', [x]), g.scalar(1)]);
}
