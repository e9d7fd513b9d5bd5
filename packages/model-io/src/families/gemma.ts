import type { ConfigReader } from '../config/config-reader.js';
import { parseActivation } from './adapter.js';
import type { ArchSizes } from './arch-defaults.js';
import { layerTypesSlide, queryPreAttnScale, softCaps } from './decoder-config.js';
import { decoderAdapter } from './decoder-layout.js';
import { decoderArch, type DecoderTraits } from './llama.js';

/**
 * The Gemma families (transformers v4.57.1 modeling_gemma.py, modeling_gemma2.py, modeling_gemma3.py):
 * the Llama layout with embeddings x sqrt(hidden_size) (a float32 constant), RMSNorm gains stored
 * zero-centred (x_hat (1 + w)), a gelu-tanh gate from `hidden_activation`, tied embeddings, head_dim 256
 * by default.
 */
const GEMMA: DecoderTraits = {
  sizes: { headDimDefault: 256 },
  tiedByDefault: true,
  // Gemma*MLP read hidden_activation (hidden_act is ignored; v4.44's GemmaMLP falls back to gelu_pytorch_tanh when it is null)
  activation: (c) => parseActivation(c, 'hidden_activation', 'gelu_pytorch_tanh'),
};

const embeddingScale = (sizes: ArchSizes) => Math.fround(Math.sqrt(sizes.dModel));

/** Gemma 2 and 3: pre- and post- attention/feed-forward norms, query_pre_attn_scalar, soft-caps, sliding layers. */
function gemma2Features(c: ConfigReader, sizes: ArchSizes, slidingDefault: (l: number) => boolean, caps: { attention?: number; logits?: number }) {
  const softCap = softCaps(c, caps);
  return {
    embeddingScale: embeddingScale(sizes),
    attnScale: queryPreAttnScale(c, 256),
    sublayerNorms: { input: true, output: true },
    ...layerTypesSlide(c, sizes.nLayers, c.int('sliding_window', 4096), slidingDefault),
    ...(softCap ? { softCap } : {}),
  };
}

export const gemmaAdapter = decoderAdapter(
  ['gemma'],
  'Gemma: Llama layout, embeddings x sqrt(d), RMSNorm (1 + w), gelu-tanh gate',
  (c) => decoderArch(c, 'gemma', { ...GEMMA, features: (_, sizes) => ({ embeddingScale: embeddingScale(sizes) }) }),
  { zeroCentredNorms: true },
);

export const gemma2Adapter = decoderAdapter(
  ['gemma2'],
  'Gemma 2: Gemma with pre/post norms around each sublayer, query_pre_attn_scalar, attention and final soft-capping, sliding window on alternate layers',
  // Gemma2Config: even layers slide (layer_types default), caps 50 (attention) and 30 (logits)
  (c) => decoderArch(c, 'gemma2', { ...GEMMA, features: (_, sizes) => gemma2Features(c, sizes, (l) => l % 2 === 0, { attention: 50, logits: 30 }) }),
  { zeroCentredNorms: true },
);

export const gemma3TextAdapter = decoderAdapter(
  ['gemma3_text'],
  'Gemma 3 (text): Gemma 2 layout with per-head q/k RMSNorm, local (sliding, rope_local_base_freq) and global (rope_theta, rope_scaling) layers',
  (c) => {
    if (c.bool('use_bidirectional_attention', false)) throw c.error('use_bidirectional_attention', 'true is not supported (causal attention only)');
    // Gemma3TextConfig: every _sliding_window_pattern-th layer (default 6) is global, the others slide
    const pattern = c.int('_sliding_window_pattern', c.int('sliding_window_pattern', 6));
    if (pattern < 1) throw c.error('_sliding_window_pattern', `must be a positive integer, got ${pattern}`);
    return decoderArch(c, 'gemma3_text', {
      ...GEMMA,
      theta: 1e6,
      features: (_, sizes, rotary) => ({
        ...gemma2Features(c, sizes, (l) => (l + 1) % pattern !== 0, {}),
        qkNorm: 'head',
        // Gemma3TextModel: rotary_emb_local on rope_local_base_freq with rope_scaling {"rope_type": "default"}
        localRotary: { kind: 'rotary', rotaryDim: rotary.rotaryDim, base: c.number('rope_local_base_freq', 10000) },
      }),
    });
  },
  { zeroCentredNorms: true },
);
