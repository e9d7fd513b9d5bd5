import type { ArchSpec } from '../arch-spec.js';
import { ConfigError, type ConfigReader } from '../config/config-reader.js';
import type { LayerWeights, Linear, ModelWeights, Norm } from '../weights.js';
import { transpose2d, type HostArray } from './host-array.js';

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
  embeddings(arch: ArchSpec, r: WeightReader): { embed: HostArray; posEmbed?: HostArray };
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

/** The language-model head: its own `[vocab, d]` weight, or the transposed input embedding when tied. */
export function lmHeadFrom(r: WeightReader, arch: ArchSpec, untiedName: string, tiedName: string): Linear<HostArray> {
  const name = arch.tiedEmbeddings ? tiedName : untiedName;
  const w = transpose2d(r.read(name, [arch.vocabSize, arch.dModel]));
  return arch.bias.lmHead ? { w, b: r.read(untiedName.replace(/weight$/, 'bias'), [arch.vocabSize]) } : { w };
}

/** The full weight set in memory (small models; large ones are walked layer by layer). */
export function loadAllWeights(adapter: FamilyAdapter, arch: ArchSpec, r: WeightReader): ModelWeights<HostArray> {
  const { embed, posEmbed } = adapter.embeddings(arch, r);
  const layers = Array.from({ length: arch.nLayers }, (_, l) => adapter.layer(arch, r, l));
  const { lnFinal, lmHead } = adapter.head(arch, r);
  return { embed, ...(posEmbed ? { posEmbed } : {}), layers, lnFinal, lmHead };
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
