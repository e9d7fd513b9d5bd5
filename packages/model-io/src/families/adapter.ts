import type { ArchSpec } from '../arch-spec.js';
import { ConfigError, type ConfigReader } from '../config/config-reader.js';
import type { EmbeddingWeights, LayerWeights, Linear, ModelWeights, Norm } from '../weights.js';
import { gatherRows, transpose2d, type HostArray } from '../host-array.js';

/** Reads one named checkpoint tensor as float32; throws a MissingWeightError naming the files searched. */
export interface WeightReader {
  has(name: string): boolean;
  read(name: string, expectedShape?: readonly number[]): HostArray;
}

/**
 * A family adapter: turns a `config.json` into the shared ArchSpec and maps the family's weight names
 * and layouts onto the canonical weight set. Split into embeddings / one layer / head so a checkpoint
 * larger than memory can be walked block by block.
 */
export interface FamilyAdapter {
  readonly modelTypes: readonly string[];
  /** One line for `sinkscope inspect` and error messages. */
  readonly summary: string;
  archFromConfig(config: ConfigReader): ArchSpec;
  /** The token table, a learned (or fixed) position table, an embedding norm, a learnable sink token [d] (ArchSpec.sinkToken). */
  embeddings(arch: ArchSpec, r: WeightReader): EmbeddingWeights<HostArray>;
  layer(arch: ArchSpec, r: WeightReader, layer: number): LayerWeights<HostArray>;
  head(arch: ArchSpec, r: WeightReader): { lnFinal: Norm<HostArray>; lmHead: Linear<HostArray> };
}

/** A standard `[out, in]` torch Linear (+ optional bias) as [in, out]. */
export function torchLinear(r: WeightReader, prefix: string, inDim: number, outDim: number, bias: boolean): Linear<HostArray> {
  const w = transpose2d(r.read(`${prefix}.weight`, [outDim, inDim]));
  return bias ? { w, b: r.read(`${prefix}.bias`, [outDim]) } : { w };
}

export function torchNorm(r: WeightReader, prefix: string, dim: number, withBias: boolean): Norm<HostArray> {
  const g = r.read(`${prefix}.weight`, [dim]);
  return withBias ? { g, b: r.read(`${prefix}.bias`, [dim]) } : { g };
}

/** q, k and v cut out of a fused projection: `part(0)`, `part(1)`, `part(2)` (GPT-2's c_attn, NeoX's query_key_value). */
export function fusedQkv(part: (which: 0 | 1 | 2) => Linear<HostArray>): Pick<LayerWeights<HostArray>, 'q' | 'k' | 'v'> {
  return { q: part(0), k: part(1), v: part(2) };
}

/**
 * A fused `[sum(widths), in]` torch Linear cut into consecutive row blocks, each as an [in, width]
 * Linear (Phi-3's qkv_proj [q | k | v] and gate_up_proj [gate | up]).
 */
export function fusedRowBlocks(r: WeightReader, prefix: string, inDim: number, widths: readonly number[], bias: boolean): Linear<HostArray>[] {
  const total = widths.reduce((a, b) => a + b, 0);
  const w = r.read(`${prefix}.weight`, [total, inDim]);
  const b = bias ? r.read(`${prefix}.bias`, [total]) : undefined;
  let start = 0;
  return widths.map((width) => {
    const rows = Array.from({ length: width }, (_, i) => start + i);
    start += width;
    const part = transpose2d(gatherRows(w, rows));
    return b ? { w: part, b: gatherRows(b, rows) } : { w: part };
  });
}

/**
 * q, k and v of a fused `[3 * H * hd, d]` projection laid out per head: output rows viewed as
 * [H, 3, hd], within each head q then k then v (GPT-NeoX's query_key_value, Bloom's
 * `_reshape`/`_split_heads`, unlike GPT-2's [q | k | v] columns).
 */
export function perHeadFusedQkv(r: WeightReader, a: ArchSpec, prefix: string): Pick<LayerWeights<HostArray>, 'q' | 'k' | 'v'> {
  const d = a.dModel;
  const hd = a.headDim;
  const width = 3 * a.nHeads * hd;
  const w = r.read(`${prefix}.weight`, [width, d]);
  const b = a.bias.qkv ? r.read(`${prefix}.bias`, [width]) : undefined;
  return fusedQkv((which) => {
    const rows: number[] = [];
    for (let h = 0; h < a.nHeads; h++) for (let i = 0; i < hd; i++) rows.push(h * 3 * hd + which * hd + i);
    const part = transpose2d(gatherRows(w, rows));
    return b ? { w: part, b: gatherRows(b, rows) } : { w: part };
  });
}

/** Separate `[out, in]` q/k/v/o projections under `prefix` (GQA: k and v are kv-heads wide); biases as the ArchSpec says. */
export function attentionProjections(r: WeightReader, a: ArchSpec, prefix: string, names: readonly [q: string, k: string, v: string, o: string]): Pick<LayerWeights<HostArray>, 'q' | 'k' | 'v' | 'o'> {
  const [q, k, v, o] = names.map((n) => `${prefix}.${n}`);
  const qDim = a.nHeads * a.headDim;
  const kvDim = a.nKvHeads * a.headDim;
  return {
    q: torchLinear(r, q, a.dModel, qDim, a.bias.qkv),
    k: torchLinear(r, k, a.dModel, kvDim, a.bias.qkv),
    v: torchLinear(r, v, a.dModel, kvDim, a.bias.qkv),
    o: torchLinear(r, o, qDim, a.dModel, a.bias.attnOut),
  };
}

/** The MLP's `[out, in]` projections under `prefix` (`gate` for gated MLPs only); biases as the ArchSpec says. */
export function mlpProjections(r: WeightReader, a: ArchSpec, prefix: string, names: { readonly gate?: string; readonly up: string; readonly down: string }): Pick<LayerWeights<HostArray>, 'gate' | 'up' | 'down'> {
  const linear = (name: string, inDim: number, outDim: number) => torchLinear(r, `${prefix}.${name}`, inDim, outDim, a.bias.mlp);
  return {
    ...(names.gate !== undefined ? { gate: linear(names.gate, a.dModel, a.dMlp) } : {}),
    up: linear(names.up, a.dModel, a.dMlp),
    down: linear(names.down, a.dMlp, a.dModel),
  };
}

/** The language-model head: its own `[vocab, d]` weight, or the transposed input embedding when tied. */
export function lmHeadFrom(r: WeightReader, arch: ArchSpec, untiedName: string, tiedName: string): Linear<HostArray> {
  const name = arch.tiedEmbeddings ? tiedName : untiedName;
  const w = transpose2d(r.read(name, [arch.vocabSize, arch.dModel]));
  return arch.bias.lmHead ? { w, b: r.read(untiedName.replace(/weight$/, 'bias'), [arch.vocabSize]) } : { w };
}

/** An adapter's `embeddings`: the token table `[vocab, d]` and, for learned positions, `positions` `[maxPositions + offset, d]`. */
export function embeddingTables(embed: string, positions?: string): FamilyAdapter['embeddings'] {
  return (a, r) => {
    const tables = { embed: r.read(embed, [a.vocabSize, a.dModel]) };
    if (positions === undefined) return tables;
    const offset = a.positional.kind === 'learned' ? a.positional.offset : 0;
    return { ...tables, posEmbed: r.read(positions, [a.maxPositions + offset, a.dModel]) };
  };
}

/** An adapter's `head`: the final LayerNorm (gain and bias) and the LM head, tied to `embed` when the ArchSpec says so. */
export function layerNormHead(norm: string, lmHead: string, embed: string): FamilyAdapter['head'] {
  return (a, r) => ({ lnFinal: torchNorm(r, norm, a.dModel, true), lmHead: lmHeadFrom(r, a, lmHead, embed) });
}

/** The full weight set in memory (small models; large ones are walked layer by layer). */
export function loadAllWeights(adapter: FamilyAdapter, arch: ArchSpec, r: WeightReader): ModelWeights<HostArray> {
  const embeddings = adapter.embeddings(arch, r);
  const layers = Array.from({ length: arch.nLayers }, (_, l) => adapter.layer(arch, r, l));
  const { lnFinal, lmHead } = adapter.head(arch, r);
  return { ...embeddings, layers, lnFinal, lmHead };
}

/** Map a HF activation name to the forward pass's activation. */
export function parseActivation(config: ConfigReader, field: string, fallback: string): ArchSpec['mlp']['activation'] {
  const name = config.string(field, fallback);
  switch (name) {
    case 'gelu':
      return 'gelu';
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_tanh':
      return 'gelu_tanh';
    case 'relu':
      return 'relu';
    case 'silu':
    case 'swish':
      return 'silu';
    default:
      throw new ConfigError(config.file, field, `activation '${name}' is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh, relu, silu)`);
  }
}
