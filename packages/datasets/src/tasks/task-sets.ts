import { readFile } from 'node:fs/promises';
import type { BosPolicy } from '../bos-policy.js';
import type { EvalTokenizer } from '../eval-tokenizer.js';
import { sha256OfParts } from '../hash.js';
import { SeededRandom } from '../random.js';
import type { DatasetSpec } from '../schema/dataset-schema.js';

/** One scored choice: the continuation's ids after the context, and its length in characters. */
export interface TaskChoice {
  readonly ids: readonly number[];
  readonly chars: number;
}

/** One multiple-choice item: [prefix + context] ids, the choices' continuations, the gold index. */
export interface MultipleChoiceItem {
  readonly contextIds: readonly number[];
  readonly choices: readonly TaskChoice[];
  readonly gold: number;
}

export interface MultipleChoiceSet {
  readonly name: string;
  readonly items: readonly MultipleChoiceItem[];
  /** sha256 of the file's records and the tokenised ids (what the lens step keys on). */
  readonly hash: string;
  readonly prefixIds: readonly number[];
}

/** One labelled example: [prefix + text] ids (text truncated to seqLen) and its label's index. */
export interface LabelledExample {
  readonly ids: readonly number[];
  readonly label: number;
}

export interface LabelledSet {
  readonly name: string;
  readonly examples: readonly LabelledExample[];
  /** The distinct labels, sorted; `label` indexes this list. */
  readonly labels: readonly string[];
  readonly hash: string;
  readonly prefixIds: readonly number[];
}

export interface TaskBuildOptions {
  readonly seqLen: number;
  readonly bosPolicy: BosPolicy;
  readonly count?: number;
  readonly seed?: number;
}

async function jsonLines(path: string, kind: string): Promise<{ line: number; record: Record<string, unknown> }[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`${kind} source: cannot read ${path} (${(error as Error).message})`);
  }
  const out: { line: number; record: Record<string, unknown> }[] = [];
  text.split('\n').forEach((raw, i) => {
    if (!raw.trim()) return;
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch (error) {
      throw new Error(`${path}:${i + 1}: not valid JSON (${(error as Error).message})`);
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) throw new Error(`${path}:${i + 1}: not a JSON object`);
    out.push({ line: i + 1, record: record as Record<string, unknown> });
  });
  if (out.length === 0) throw new Error(`${path}: holds no records`);
  return out;
}

/** `count` records in file order, or a seeded sample of them when the file holds more. */
function pick<T>(all: readonly T[], count: number | undefined, seed: number | undefined): T[] {
  if (count === undefined || count >= all.length) return [...all];
  const order = SeededRandom.sfc32(seed ?? 0).shuffled(all.map((_, i) => i)).slice(0, count).sort((a, b) => a - b);
  return order.map((i) => all[i]);
}

function requireTokenizer(tokenizer: EvalTokenizer | null, spec: DatasetSpec): EvalTokenizer {
  if (!tokenizer) throw new Error(`dataset '${spec.name}': source '${spec.source.kind}' is text and needs a tokenizer (this checkpoint has none)`);
  return tokenizer;
}

/**
 * A multiple-choice file, tokenised as lm-eval does (`_encode_pair`): trailing spaces of the context
 * move to the continuation, the continuation's ids are those of encode(context + choice) after
 * encode(context). The policy's prefix (BOS) comes first; a context longer than seqLen leaves room
 * for the longest choice by dropping its first tokens.
 */
export async function loadMultipleChoiceSet(spec: DatasetSpec, tokenizer: EvalTokenizer | null, options: TaskBuildOptions): Promise<MultipleChoiceSet> {
  if (spec.source.kind !== 'multiple-choice') throw new Error(`dataset '${spec.name}': source '${spec.source.kind}' is not multiple-choice`);
  const path = spec.source.path;
  const tok = requireTokenizer(tokenizer, spec);
  const prefix = tok.prefixIds(options.bosPolicy);
  const records = pick(await jsonLines(path, 'multiple-choice'), options.count ?? spec.count, options.seed ?? spec.seed);
  const items = records.map(({ line, record }) => {
    const where = `${path}:${line}`;
    const { context, choices, gold } = record;
    if (typeof context !== 'string') throw new Error(`${where}: field 'context' must be a string`);
    if (!Array.isArray(choices) || choices.length < 2 || !choices.every((c) => typeof c === 'string')) throw new Error(`${where}: field 'choices' must be a list of at least two strings`);
    if (!Number.isInteger(gold) || (gold as number) < 0 || (gold as number) >= choices.length) throw new Error(`${where}: field 'gold' must be an index into 'choices' (0..${choices.length - 1}), got ${JSON.stringify(gold)}`);
    const trailing = context.length - context.trimEnd().length;
    const ctx = trailing > 0 ? context.slice(0, -trailing) : context;
    const contextIds = tok.encodeRaw(ctx);
    const encoded = (choices as string[]).map((choice) => {
      const continuation = (trailing > 0 ? context.slice(-trailing) : '') + choice;
      const whole = tok.encodeRaw(ctx + continuation);
      const ids = whole.slice(contextIds.length);
      if (ids.length === 0) throw new Error(`${where}: choice ${JSON.stringify(choice)} adds no tokens after the context`);
      return { ids, chars: choice.length };
    });
    const longest = Math.max(...encoded.map((c) => c.ids.length));
    const room = options.seqLen - prefix.length - longest;
    if (room < 1) throw new Error(`${where}: a choice of ${longest} tokens leaves no room for the context in seqLen ${options.seqLen}`);
    return { contextIds: [...prefix, ...contextIds.slice(Math.max(0, contextIds.length - room))], choices: encoded, gold: gold as number };
  });
  const hash = sha256OfParts(['multiple-choice', ...items.map((it) => JSON.stringify(it))]);
  return { name: spec.name, items, hash, prefixIds: prefix };
}

/** A labelled file: each text tokenised, truncated to seqLen (prefix included); labels sorted. */
export async function loadLabelledSet(spec: DatasetSpec, tokenizer: EvalTokenizer | null, options: TaskBuildOptions): Promise<LabelledSet> {
  if (spec.source.kind !== 'labelled') throw new Error(`dataset '${spec.name}': source '${spec.source.kind}' is not labelled`);
  const path = spec.source.path;
  const tok = requireTokenizer(tokenizer, spec);
  const prefix = tok.prefixIds(options.bosPolicy);
  const records = pick(await jsonLines(path, 'labelled'), options.count ?? spec.count, options.seed ?? spec.seed);
  const raw = records.map(({ line, record }) => {
    const where = `${path}:${line}`;
    if (typeof record.text !== 'string') throw new Error(`${where}: field 'text' must be a string`);
    if (typeof record.label !== 'string' && typeof record.label !== 'number') throw new Error(`${where}: field 'label' must be a string or a number`);
    const ids = [...prefix, ...tok.encodeRaw(record.text)].slice(0, options.seqLen);
    if (ids.length - prefix.length < 1) throw new Error(`${where}: the text has no tokens`);
    return { ids, label: String(record.label) };
  });
  const labels = [...new Set(raw.map((r) => r.label))].sort();
  if (labels.length < 2) throw new Error(`${path}: a probe needs at least two labels, found ${labels.length}`);
  const examples = raw.map((r) => ({ ids: r.ids, label: labels.indexOf(r.label) }));
  const hash = sha256OfParts(['labelled', JSON.stringify(labels), ...examples.map((e) => JSON.stringify(e))]);
  return { name: spec.name, examples, labels, hash, prefixIds: prefix };
}
