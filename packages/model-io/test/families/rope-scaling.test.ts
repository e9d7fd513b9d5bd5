import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ConfigReader, familyFor, rotaryInverseFrequencies, type ArchSpec, type RotaryScheme } from '../../src/index.js';
import { extraFixtureDir } from '../../src/testing/index.js';

/** The ArchSpec of an hf-extra fixture's config.json, with `patch` applied. */
function archOf(fixture: string, patch: Record<string, unknown> = {}): ArchSpec {
  const file = join(extraFixtureDir(fixture), 'config.json');
  const raw = { ...(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>), ...patch };
  const c = new ConfigReader('config.json', raw);
  return familyFor(c.string('model_type'), 'config.json').archFromConfig(c);
}

function rotary(arch: ArchSpec): RotaryScheme {
  if (arch.positional.kind !== 'rotary') throw new Error('not rotary');
  return arch.positional;
}

/** 1 / base^(2j/r), in float64. */
const plain = (base: number, r: number) => Array.from({ length: r / 2 }, (_, j) => 1 / base ** ((2 * j) / r));

function expectClose(got: ArrayLike<number>, want: readonly number[]): void {
  expect(got.length).toBe(want.length);
  want.forEach((w, j) => expect(Math.abs(got[j] - w) / w, `pair ${j}`).toBeLessThan(1e-7));
}

describe('rope_scaling inverse frequencies (transformers v4.57.1 modeling_rope_utils.py), hand-computed', () => {
  it('dynamic: plain RoPE up to max_position_embeddings (12), then base * (f T / max - (f - 1))^(r / (r - 2))', () => {
    const s = rotary(archOf('llama_rope_dynamic'));
    expectClose(rotaryInverseFrequencies(s, 12).invFreq, plain(10000, 16));
    expectClose(rotaryInverseFrequencies(s, 17).invFreq, plain(10000 * ((2 * 17) / 12 - 1) ** (16 / 14), 16));
  });

  it('linear: inv_freq / factor', () => {
    expectClose(rotaryInverseFrequencies(rotary(archOf('llama_rope_linear')), 17).invFreq, plain(10000, 16).map((f) => f / 4));
  });

  it('llama3: pair 0 kept (wavelength < 64/4), pairs 3-7 / 8 (wavelength > 64), pairs 1-2 ramped', () => {
    const { invFreq, attentionFactor } = rotaryInverseFrequencies(rotary(archOf('llama_rope_llama3')), 17);
    const base = plain(10000, 16);
    const want = base.map((f, j) => {
      const wavelen = (2 * Math.PI) / f;
      if (j === 0) return f;
      if (j >= 3) return f / 8;
      const smooth = (64 / wavelen - 1) / (4 - 1);
      return ((1 - smooth) * f) / 8 + smooth * f;
    });
    expectClose(invFreq, want);
    expect(attentionFactor).toBe(1);
  });

  it('yarn: attention factor 0.1 ln 4 + 1 on cos and sin; factor = max_position_embeddings / original', () => {
    const s = rotary(archOf('llama_rope_yarn'));
    expect(s.scaling).toMatchObject({ type: 'yarn', factor: 4, originalMaxPositions: 32, betaFast: 32, betaSlow: 1, truncate: true });
    expect(rotaryInverseFrequencies(s, 17).attentionFactor).toBeCloseTo(0.1 * Math.log(4) + 1, 12);
    // the factor follows max_position_embeddings / original (v4.57.1), whatever rope_scaling.factor says
    expect(rotary(archOf('llama_rope_yarn', { max_position_embeddings: 64 })).scaling).toMatchObject({ factor: 2 });
  });

  it('longrope: short factors while T <= original_max_position_embeddings (16), long ones beyond; sqrt(1 + ln 4 / ln 16)', () => {
    const s = rotary(archOf('phi3_longrope_long'));
    const base = plain(10000, 12);
    const short = [1.0, 1.05, 1.15, 1.35, 1.7, 2.2];
    const long = [1.0, 1.4, 2.5, 4.5, 8.0, 14.0];
    expectClose(rotaryInverseFrequencies(s, 16).invFreq, base.map((f, j) => f / short[j]));
    expectClose(rotaryInverseFrequencies(s, 17).invFreq, base.map((f, j) => f / long[j]));
    expect(rotaryInverseFrequencies(s, 17).attentionFactor).toBeCloseTo(Math.sqrt(1 + Math.log(64 / 16) / Math.log(16)), 12);
  });
});

describe('rope_scaling errors name config.json and the field', () => {
  const refused = (fixture: string, patch: Record<string, unknown>) => {
    try {
      archOf(fixture, patch);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('no error');
  };

  it('an unknown type lists the known ones', () => {
    expect(refused('llama_rope_linear', { rope_scaling: { rope_type: 'ntk-by-parts', factor: 2 } })).toBe(
      "config.json: field 'rope_scaling.rope_type': 'ntk-by-parts' is not a known rope scaling type (known: default, linear, dynamic, yarn, longrope, llama3)",
    );
    // "su" is Phi-3's legacy name for longrope only
    expect(refused('llama_rope_linear', { rope_scaling: { type: 'su', factor: 2 } })).toMatch(/field 'rope_scaling\.type': 'su' is not a known/);
    expect(rotary(archOf('phi3_longrope_long', { rope_scaling: { type: 'su', short_factor: [1, 1, 1, 1, 1, 1], long_factor: [2, 2, 2, 2, 2, 2] } })).scaling?.type).toBe('longrope');
  });

  it.each([
    ['llama_rope_linear', { rope_scaling: { rope_type: 'linear', factor: '4' } }, "field 'rope_scaling.factor': expected a finite number, got \"4\""],
    ['llama_rope_linear', { rope_scaling: { rope_type: 'linear', factor: 0.5 } }, "field 'rope_scaling.factor': must be a number >= 1, got 0.5"],
    ['llama_rope_linear', { rope_scaling: [4] }, "field 'rope_scaling': expected an object, got [4]"],
    ['llama_rope_llama3', { rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, original_max_position_embeddings: 64 } }, "field 'rope_scaling.high_freq_factor': is required but missing"],
    ['phi3_longrope_long', { rope_scaling: { type: 'longrope', short_factor: [1, 2], long_factor: [1, 2, 3, 4, 5, 6] } }, "field 'rope_scaling.short_factor': must have 6 entries, got 2"],
    ['phi3_longrope_long', { rope_scaling: { type: 'longrope', short_factor: [1, 1, 1, 1, 1, 1], long_factor: 'long' } }, "field 'rope_scaling.long_factor': expected a list of numbers, got \"long\""],
    ['gemma2', { layer_types: ['sliding_attention'] }, "field 'layer_types': must have 2 entries (one per layer), got 1"],
    ['gemma2', { layer_types: ['sliding_attention', 'chunked_attention'] }, "field 'layer_types[1]': \"chunked_attention\" is not supported (supported: sliding_attention, full_attention)"],
    ['gemma2', { attn_logit_softcapping: -1 }, "field 'attn_logit_softcapping': must be a positive number or null, got -1"],
    ['mixtral', { num_experts_per_tok: 5 }, "field 'num_experts_per_tok': must be from 1 to num_local_experts (4), got 5"],
    ['gpt_neox_rope_yarn', { rope_theta: 500 }, "field 'rope_theta': 500 disagrees with rotary_emb_base (10000); give one, or both equal"],
    ['gemma3_text', { use_bidirectional_attention: true }, "field 'use_bidirectional_attention': true is not supported (causal attention only)"],
  ])('%s %j', (fixture, patch, message) => {
    expect(refused(fixture, patch)).toBe(`config.json: ${message}`);
  });
});
