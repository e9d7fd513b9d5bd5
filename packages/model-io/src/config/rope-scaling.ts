import type { RopeScaling, RotaryScheme } from '../arch-spec.js';
import { MAX_SIZE } from './arch-check.js';
import type { ConfigReader } from './config-reader.js';

/** The `rope_scaling` types transformers v4.57.1 knows (`ROPE_INIT_FUNCTIONS`, modeling_rope_utils.py). */
export const ROPE_TYPES = ['default', 'linear', 'dynamic', 'yarn', 'longrope', 'llama3'] as const;

/** What a family's rotary is built from, besides `rope_scaling`. */
export interface RotaryFields {
  readonly modelType: string;
  readonly rotaryDim: number;
  readonly base: number;
  /** config.json `max_position_embeddings` (dynamic's threshold, yarn's and longrope's target length). */
  readonly maxPositions: number;
  /** A top-level `original_max_position_embeddings` (Phi3Config's, default 4096); absent: read from config.json if there. */
  readonly originalMaxPositions?: number;
}

/**
 * The rotary scheme of a config.json, `rope_scaling` resolved the way transformers v4.57.1 reads it
 * (`LlamaRotaryEmbedding.__init__` and the `_compute_*_parameters` functions of modeling_rope_utils.py):
 * the type from `rope_type`, else the legacy `type`, else default; Phi3Config maps a legacy `type`
 * of "su" or "yarn" to longrope. An unknown type, a missing or wrong-typed parameter is a ConfigError
 * naming config.json and the field (`rope_scaling.factor`).
 */
export function rotaryFromConfig(c: ConfigReader, f: RotaryFields): RotaryScheme {
  const plain: RotaryScheme = { kind: 'rotary', rotaryDim: f.rotaryDim, base: f.base };
  const rs = c.object('rope_scaling');
  if (rs === undefined) return plain;
  const typeField = rs.has('rope_type') ? 'rope_type' : 'type';
  let type = rs.string(typeField, 'default');
  if (f.modelType === 'phi3' && typeField === 'type' && (type === 'su' || type === 'yarn')) type = 'longrope'; // Phi3Config._rope_scaling_adjustment
  const originalMaxPositions = f.originalMaxPositions ?? c.optInt('original_max_position_embeddings');
  const scaling = ropeScaling(rs, type, typeField, { ...f, ...(originalMaxPositions !== undefined ? { originalMaxPositions } : {}) });
  return scaling ? { ...plain, scaling } : plain;
}

function ropeScaling(rs: ConfigReader, type: string, typeField: string, f: RotaryFields): RopeScaling | undefined {
  /** A scaling factor >= 1 (transformers' _validate_*_rope_parameters). */
  const factor = (): number => {
    const v = rs.number('factor');
    if (!(v >= 1)) throw rs.error('factor', `must be a number >= 1, got ${v}`);
    return v;
  };
  const positiveInt = (field: string, fallback?: number): number => {
    const v = rs.int(field, fallback);
    if (v < 1 || v > MAX_SIZE) throw rs.error(field, `must be a positive integer up to ${MAX_SIZE}, got ${v}`);
    return v;
  };
  switch (type) {
    case 'default':
      return undefined;
    case 'linear':
      return { type, factor: factor() };
    case 'dynamic':
      // _compute_dynamic_ntk_parameters: the threshold is config.max_position_embeddings (v4.57.1 does not read an original length here)
      return { type, factor: factor(), maxPositions: f.maxPositions };
    case 'llama3': {
      const lowFreqFactor = rs.number('low_freq_factor');
      const highFreqFactor = rs.number('high_freq_factor');
      if (!(highFreqFactor > lowFreqFactor)) throw rs.error('high_freq_factor', `must be larger than low_freq_factor (${lowFreqFactor}), got ${highFreqFactor}`);
      return { type, factor: factor(), lowFreqFactor, highFreqFactor, originalMaxPositions: positiveInt('original_max_position_embeddings') };
    }
    case 'yarn':
      return yarn(rs, factor, positiveInt, f);
    case 'longrope':
      return longrope(rs, f);
    default:
      throw rs.error(
        typeField,
        `'${type}' is not a known rope scaling type (known: ${ROPE_TYPES.join(', ')}${f.modelType === 'phi3' ? '; su' : ''})`,
      );
  }
}

/** _compute_yarn_parameters (v4.57.1). */
function yarn(rs: ConfigReader, factor: () => number, positiveInt: (field: string, fallback?: number) => number, f: RotaryFields): RopeScaling {
  let scale = factor();
  // v4.57.1: with an original length, factor := max_position_embeddings / original (the "DeepSeek-V3"
  // note); the correction range then uses the original length, else max_position_embeddings
  const original = rs.has('original_max_position_embeddings') ? positiveInt('original_max_position_embeddings') : f.maxPositions;
  if (rs.has('original_max_position_embeddings')) scale = f.maxPositions / original;
  const mscale = (s: number, m = 1) => (s <= 1 ? 1 : 0.1 * m * Math.log(s) + 1);
  let attentionFactor: number;
  if (rs.has('attention_factor')) attentionFactor = rs.number('attention_factor');
  else {
    const m = rs.has('mscale') ? rs.number('mscale') : 0;
    const mAll = rs.has('mscale_all_dim') ? rs.number('mscale_all_dim') : 0;
    attentionFactor = m && mAll ? mscale(scale, m) / mscale(scale, mAll) : mscale(scale);
  }
  // `or`: a 0 or null beta takes the default, as `rope_scaling.get("beta_fast") or 32`
  const betaFast = (rs.has('beta_fast') ? rs.number('beta_fast') : 0) || 32;
  const betaSlow = (rs.has('beta_slow') ? rs.number('beta_slow') : 0) || 1;
  return { type: 'yarn', factor: scale, originalMaxPositions: original, betaFast, betaSlow, truncate: rs.bool('truncate', true), attentionFactor };
}

/** _compute_longrope_parameters (v4.57.1); the top-level original_max_position_embeddings is Phi3Config's. */
function longrope(rs: ConfigReader, f: RotaryFields): RopeScaling {
  // one factor per rotary pair; a rotary width that is no even positive integer is checkArch's to name (its source field)
  const pairs = Number.isSafeInteger(f.rotaryDim / 2) && f.rotaryDim > 0 ? f.rotaryDim / 2 : undefined;
  const shortFactor = rs.numbers('short_factor', pairs);
  const longFactor = rs.numbers('long_factor', pairs);
  const original = f.originalMaxPositions ?? f.maxPositions;
  const factor = f.originalMaxPositions !== undefined ? f.maxPositions / original : rs.number('factor', 1);
  const attentionFactor = rs.has('attention_factor') ? rs.number('attention_factor') : factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
  return { type: 'longrope', shortFactor, longFactor, originalMaxPositions: original, attentionFactor };
}
