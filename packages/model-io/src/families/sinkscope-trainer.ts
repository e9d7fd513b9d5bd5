import type { ArchSpec } from '../arch-spec.js';
import { ConfigError, type ConfigReader } from '../config/config-reader.js';
import type { FamilyAdapter } from './adapter.js';
import { gpt2Adapter } from './gpt2.js';
import { sinusoidalTable } from '../forward/position-tables.js';

/**
 * `model_type: "sinkscope"`: the GPT-2-layout variants @sinkscope/train writes for Gu et al.'s
 * sink-emergence experiments (packages/train/README.md, "Variants"). The shared forward pass runs
 * the variants it can express (norm type, RoPE / sinusoidal / no positions); the others are refused
 * with the list of what is supported, rather than silently computed wrong.
 */
const SUPPORTED = {
  position_encoding: ['learned', 'sinusoidal', 'rope', 'none'],
  norm_placement: ['pre'],
  norm_type: ['layernorm', 'rmsnorm'],
  attention_op: ['softmax'],
  learnable_sink_token: [false],
  kv_bias: ['none'],
} as const;

function requireSupported(c: ConfigReader): void {
  for (const [field, allowed] of Object.entries(SUPPORTED)) {
    const value = c.raw[field] ?? (field === 'learnable_sink_token' ? false : undefined);
    if (value !== undefined && !(allowed as readonly unknown[]).includes(value)) {
      throw new ConfigError(
        c.file,
        field,
        `${JSON.stringify(value)} is not supported by the model-io forward pass yet (supported: ${allowed.map((a) => JSON.stringify(a)).join(', ')}); @sinkscope/train's own forward runs it`,
      );
    }
  }
}

function encoding(c: ConfigReader): string {
  return c.string('position_encoding', 'learned');
}

export const sinkscopeAdapter: FamilyAdapter = {
  modelTypes: ['sinkscope'],
  summary: 'sinkscope (GPT-2 layout variants from @sinkscope/train): RMSNorm/LayerNorm, learned/sinusoidal/RoPE/no positions',
  archFromConfig(c) {
    requireSupported(c);
    const base = gpt2Adapter.archFromConfig(c);
    const enc = encoding(c);
    const positional: ArchSpec['positional'] =
      enc === 'rope'
        ? { kind: 'rotary', rotaryDim: base.headDim, base: c.number('rope_theta', 10000) }
        : enc === 'none'
          ? { kind: 'none' }
          : { kind: 'learned', offset: 0 }; // sinusoidal: a fixed table added like a learned one
    return {
      ...base,
      modelType: 'sinkscope',
      norm: { kind: c.string('norm_type', 'layernorm') === 'rmsnorm' ? 'rmsnorm' : 'layernorm', eps: base.norm.eps },
      positional,
    };
  },
  embeddings(a, r) {
    const embed = r.read('transformer.wte.weight', [a.vocabSize, a.dModel]);
    if (a.positional.kind !== 'learned') return { embed };
    // learned positions are stored; sinusoidal ones are computed (no wpe tensor in the checkpoint)
    const posEmbed = r.has('transformer.wpe.weight') ? r.read('transformer.wpe.weight', [a.maxPositions, a.dModel]) : sinusoidalTable(a.maxPositions, a.dModel);
    return { embed, posEmbed };
  },
  layer(a, r, l) {
    const w = gpt2Adapter.layer(a, rmsAware(a, r), l);
    if (a.norm.kind !== 'rmsnorm') return w;
    return { ...w, ...(w.ln1 ? { ln1: { g: w.ln1.g } } : {}), ...(w.ln2 ? { ln2: { g: w.ln2.g } } : {}) };
  },
  head(a, r) {
    const h = gpt2Adapter.head(a, rmsAware(a, r));
    return a.norm.kind === 'rmsnorm' ? { ...h, lnFinal: { g: h.lnFinal.g } } : h;
  },
};

/** RMSNorm checkpoints have gains only: the GPT-2 adapter's reads of norm biases get zeros (dropped after). */
function rmsAware(a: ArchSpec, r: Parameters<FamilyAdapter['layer']>[1]): Parameters<FamilyAdapter['layer']>[1] {
  if (a.norm.kind !== 'rmsnorm') return r;
  return {
    has: (name) => r.has(name),
    read: (name, shape) => {
      if (/\.(ln_1|ln_2|ln_f)\.bias$/.test(name) && !r.has(name)) return { shape: [a.dModel], data: new Float32Array(a.dModel) };
      return r.read(name, shape);
    },
  };
}

