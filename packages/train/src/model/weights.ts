import { familyFor, type ArchSpec, type HostArray, type LayerWeights, type Linear, type ModelWeights, type Norm } from '@sinkscope/model-io';
import type { ModelConfig } from './config.js';
import { parameterSpecs, QKV } from './params.js';

/** How an engine hands the trainer's parameters to the forward pass. */
export interface WeightHandles<W> {
  /** The engine's handle of a parameter (a tf.Variable, a graph input name). */
  readonly param: (name: string) => W;
  /** [out, in] -> [in, out]: the LM head from a [vocab, d] table. */
  readonly transposed: (w: W) => W;
  /** A fixed (sinusoidal) position table, when the model adds one (`fixedPositionTable`). */
  readonly fixedPositions?: W;
}

/**
 * model-io's weight set (ModelWeights) over the trainer's parameters, on either engine: GPT-2 names,
 * q/k/v the trainer's separate [d, d] Conv1D matrices (checkpoint.ts fuses them on save), the LM
 * head the transposed token table (tied) or `lm_head.weight`. A tensor is present exactly when
 * `parameterSpecs` has it, so this cannot drift from the parameters.
 */
export function trainerWeights<W>(config: ModelConfig, handles: WeightHandles<W>): ModelWeights<W> {
  const names = new Set(parameterSpecs(config).map((s) => s.name));
  const get = (name: string): W => handles.param(name);
  const optional = <K extends string>(key: K, name: string) => (names.has(name) ? ({ [key]: get(name) } as Record<K, W>) : {});
  const norm = (p: string): Norm<W> => ({ g: get(`${p}.weight`), ...optional('b', `${p}.bias`) });
  const linear = (p: string): Linear<W> => ({ w: get(`${p}.weight`), ...optional('b', `${p}.bias`) });
  const layers = Array.from({ length: config.nLayer }, (_, i): LayerWeights<W> => {
    const h = `transformer.h.${i}`;
    const attention: LayerWeights<W> = names.has(`${h}.ln_1.weight`)
      ? {
          ln1: norm(`${h}.ln_1`),
          ...Object.fromEntries(QKV.map((part) => [part, linear(`${h}.attn.c_attn.${part}`)])),
          o: linear(`${h}.attn.c_proj`),
          ...optional('slotKey', `${h}.attn.sink_k`),
          ...optional('slotValue', `${h}.attn.sink_v`),
        }
      : {};
    const mlp: LayerWeights<W> = names.has(`${h}.ln_2.weight`)
      ? {
          ln2: norm(`${h}.ln_2`),
          ...(names.has(`${h}.mlp.c_gate.weight`) ? { gate: linear(`${h}.mlp.c_gate`) } : {}),
          up: linear(`${h}.mlp.c_fc`),
          down: linear(`${h}.mlp.c_proj`),
        }
      : {};
    return { ...attention, ...mlp };
  });
  const embed = get('transformer.wte.weight');
  const posEmbed = names.has('transformer.wpe.weight') ? get('transformer.wpe.weight') : handles.fixedPositions;
  return {
    embed,
    ...(posEmbed !== undefined ? { posEmbed } : {}),
    ...optional('sinkToken', 'transformer.sink_token'),
    layers,
    lnFinal: norm('transformer.ln_f'),
    lmHead: { w: handles.transposed(names.has('lm_head.weight') ? get('lm_head.weight') : embed) },
  };
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
  return familyFor(arch.modelType, 'trainer').embeddings(arch, reader).posEmbed;
}
