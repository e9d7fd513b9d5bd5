import { ConfigReader, familyFor, transposedWeight, type ArchSpec, type HostArray, type LayerWeights, type Linear, type ModelWeights, type Norm } from '@sinkscope/model-io';
import { toHfConfig, type ModelConfig } from '../model/config.js';
import { isDecayed, parameterSpecs, type ParamSpec } from '../model/params.js';
import type { AdamWConfig } from '../optim/adamw.js';

/** One parameter's place in the flat buffers (parameters, AdamW moments, gradients). */
export interface ParamSlot {
  readonly spec: ParamSpec;
  /** Offset in floats. */
  readonly offset: number;
  readonly size: number;
}

/** A contiguous run of the flat buffers that AdamW treats alike (torch's parameter groups). */
export interface ParamGroup {
  /** `decay`: decoupled weight decay applies; `plain`: it does not. */
  readonly name: 'decay' | 'plain';
  readonly offset: number;
  readonly size: number;
}

/**
 * Every trainable tensor of a model in one flat float32 vector: the weight-decayed tensors first,
 * then the others (each group in `parameterSpecs` order). The optimizer updates each group with a
 * dozen elementwise ops instead of a dozen per tensor, and each weight is fed to the forward pass as
 * a view into the vector (no copies).
 */
export class ParamLayout {
  /** Every parameter in `parameterSpecs` order (the init's draw order). */
  readonly specs: readonly ParamSpec[];
  /** Every parameter in buffer order. */
  readonly slots: readonly ParamSlot[];
  readonly groups: readonly ParamGroup[];
  /** Total floats. */
  readonly size: number;

  constructor(config: ModelConfig, initStd: number, optimizer: AdamWConfig) {
    this.specs = parameterSpecs(config, initStd);
    const decays = (spec: ParamSpec) => optimizer.weightDecay > 0 && (optimizer.decayOn === 'all' || isDecayed(spec));
    const ordered = [...this.specs.filter(decays), ...this.specs.filter((s) => !decays(s))];
    let offset = 0;
    this.slots = ordered.map((spec) => {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const slot = { spec, offset, size };
      offset += size;
      return slot;
    });
    this.size = offset;
    const decayed = this.slots.filter((s) => decays(s.spec)).reduce((n, s) => n + s.size, 0);
    this.groups = [
      { name: 'decay' as const, offset: 0, size: decayed },
      { name: 'plain' as const, offset: decayed, size: this.size - decayed },
    ].filter((g) => g.size > 0);
  }

  /** Copy named host values into a flat buffer; every parameter must be present with its size. */
  pack(values: ReadonlyMap<string, Float32Array>, into: Float32Array, where: string): void {
    for (const { spec, offset, size } of this.slots) {
      const v = values.get(spec.name);
      if (!v) throw new Error(`${where}: missing tensor '${spec.name}'`);
      if (v.length !== size) throw new Error(`${where}: tensor '${spec.name}' has ${v.length} values, expected shape [${spec.shape.join(', ')}]`);
      into.set(v, offset);
    }
  }

  /** Named copies out of a flat buffer, in `parameterSpecs` order. */
  unpack(flat: Float32Array): Map<string, Float32Array> {
    const bySpec = new Map(this.slots.map((s) => [s.spec.name, s]));
    return new Map(
      this.specs.map((spec) => {
        const { offset, size } = bySpec.get(spec.name)!;
        return [spec.name, flat.slice(offset, offset + size)];
      }),
    );
  }
}

/**
 * The model-io ArchSpec of a trainer config, from the same config.json the checkpoint will carry and
 * the family adapter the pipelines use: what the onnx engine trains is what the pipelines load.
 * Variants model-io's forward cannot express yet are refused with its message.
 */
export function archSpecOf(config: ModelConfig): ArchSpec {
  const hf = toHfConfig(config);
  const where = 'engine onnx (config.json of the model being trained)';
  try {
    return familyFor(String(hf.model_type), where).archFromConfig(new ConfigReader(where, hf));
  } catch (err) {
    throw new Error(`${(err as Error).message}; train this variant with engine "tfjs"`);
  }
}

/**
 * A position table the model adds but does not learn (sinusoidal), from the family adapter that
 * loads the checkpoint; undefined when positions are learned or absent.
 */
export function fixedPositionTable(arch: ArchSpec, config: ModelConfig): HostArray | undefined {
  if (config.positionEncoding !== 'sinusoidal') return undefined;
  const reader = {
    has: () => false,
    read: (_name: string, shape?: readonly number[]): HostArray => ({ shape: [...(shape ?? [])], data: new Float32Array((shape ?? []).reduce((a, b) => a * b, 1)) }),
  };
  return familyFor(arch.modelType, 'engine onnx').embeddings(arch, reader).posEmbed;
}

/**
 * The forward pass's weight set, each weight a graph value named by `handle(trainer name)`. GPT-2
 * layout: q/k/v are the trainer's separate [d, d] matrices (Conv1D [in, out], as the tracer wants),
 * the LM head is tied to wte (the tracer multiplies by the table itself). `positions` is the learned or fixed position table's handle.
 */
export function modelWeights(arch: ArchSpec, config: ModelConfig, handle: (name: string) => string, positions: string | undefined): ModelWeights<string> {
  const layernorm = config.norm === 'layernorm';
  const norm = (p: string): Norm<string> => (layernorm ? { g: handle(`${p}.weight`), b: handle(`${p}.bias`) } : { g: handle(`${p}.weight`) });
  const linear = (p: string): Linear<string> => ({ w: handle(`${p}.weight`), b: handle(`${p}.bias`) });
  const layers = Array.from({ length: config.nLayer }, (_, i): LayerWeights<string> => {
    const h = `transformer.h.${i}`;
    return {
      ln1: norm(`${h}.ln_1`),
      ln2: norm(`${h}.ln_2`),
      q: linear(`${h}.attn.c_attn.q`),
      k: linear(`${h}.attn.c_attn.k`),
      v: linear(`${h}.attn.c_attn.v`),
      o: linear(`${h}.attn.c_proj`),
      up: linear(`${h}.mlp.c_fc`),
      down: linear(`${h}.mlp.c_proj`),
    };
  });
  if (!arch.tiedEmbeddings || arch.bias.lmHead) throw new Error('engine onnx: the trainer\'s models have a tied LM head without bias');
  const embed = handle('transformer.wte.weight');
  return { embed, ...(positions ? { posEmbed: positions } : {}), layers, lnFinal: norm('transformer.ln_f'), lmHead: { w: transposedWeight(embed) } };
}
