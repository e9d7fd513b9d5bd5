// Figure captions: every title's subtitle states model, dataset, T, eps and BOS policy, so a figure
// cut out of the report still says what it shows.
import { formatNumber } from './format.js';
import type { TitleParams, ExprRef, SignalRef } from './vl-types.js';

/** What a figure's caption reports about the run that produced its rows. */
export interface CaptionContext {
  /** Model name(s), e.g. 'gpt2' or ['gpt2', 'pythia-160m']. */
  models: string | readonly string[];
  /** Dataset the sequences were drawn from, e.g. 'wikitext-103 (validation)'. */
  dataset: string;
  /** Sequence length T in tokens, or the lengths of a sweep. */
  seqLen: number | readonly number[];
  /** Threshold eps of Sink_1^eps (Gu et al. 2025), or the thresholds of a sweep; null when the run did not record it ("ε = not recorded"). */
  eps: number | readonly number[] | null;
  /** How the first position is filled, e.g. 'prepend BOS', 'no BOS', 'as tokenised'. */
  bosPolicy: string;
}

/** Checked, list-shaped copy of a CaptionContext. */
export interface NormalisedCaption {
  models: string[];
  dataset: string;
  seqLens: number[];
  eps: number[];
  bosPolicy: string;
}

function asList<T>(value: T | readonly T[]): T[] {
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

/** Validates a caption context; errors name the field at fault. */
export function normaliseCaption(caption: CaptionContext, figure: string): NormalisedCaption {
  const where = `${figure}: caption`;
  if (caption === null || typeof caption !== 'object') throw new TypeError(`${where} must be an object`);
  const models = asList(caption.models);
  if (models.length === 0 || models.some((m) => typeof m !== 'string' || m.trim() === '')) {
    throw new TypeError(`${where}.models must be a non-empty model name or list of names (got ${JSON.stringify(caption.models)})`);
  }
  for (const key of ['dataset', 'bosPolicy'] as const) {
    if (typeof caption[key] !== 'string' || caption[key].trim() === '') {
      throw new TypeError(`${where}.${key} must be a non-empty string (got ${JSON.stringify(caption[key])})`);
    }
  }
  const seqLens = asList(caption.seqLen);
  if (seqLens.length === 0 || seqLens.some((t) => !Number.isInteger(t) || t < 1)) {
    throw new RangeError(`${where}.seqLen must be a positive integer or a list of them (got ${JSON.stringify(caption.seqLen)})`);
  }
  const eps = caption.eps === null ? [] : asList(caption.eps);
  if ((caption.eps !== null && eps.length === 0) || eps.some((e) => typeof e !== 'number' || !Number.isFinite(e) || e < 0 || e > 1)) {
    throw new RangeError(`${where}.eps must be a number in [0, 1] or a list of them (got ${JSON.stringify(caption.eps)})`);
  }
  return { models, dataset: caption.dataset, seqLens, eps, bosPolicy: caption.bosPolicy };
}

/** 'a, b' for lists, 'a' for one value; numbers as their shortest exact decimal (float32-aware). */
function listText(values: readonly (string | number)[]): string {
  return values.map((v) => (typeof v === 'number' ? formatNumber(v) : v)).join(', ');
}

/** One caption line: 'gpt2 · wikitext-103 · T = 128 · ε = 0.3 · BOS: prepend BOS'. */
export function captionText(caption: NormalisedCaption): string {
  const seqLens = [...caption.seqLens].sort((a, b) => a - b);
  const eps = [...caption.eps].sort((a, b) => a - b);
  return [
    listText(caption.models),
    caption.dataset,
    `T = ${listText(seqLens)}`,
    `ε = ${eps.length ? listText(eps) : 'not recorded'}`,
    `BOS: ${caption.bosPolicy}`,
  ].join(' · ');
}

/** Title block of a figure: the title, then the caption line, then any figure-specific notes. */
export function figureTitle(
  title: string,
  caption: NormalisedCaption,
  notes: readonly string[] = [],
): TitleParams<ExprRef | SignalRef> {
  return { text: title, subtitle: [captionText(caption), ...notes] };
}
