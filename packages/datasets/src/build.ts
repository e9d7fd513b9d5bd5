import type { BosPolicy } from './bos-policy.js';
import { BOS_POLICIES } from './bos-policy.js';
import type { EvalTokenizer, VocabInfo } from './eval-tokenizer.js';
import { sha256OfParts, sha256OfSequences } from './hash.js';
import { SeededRandom } from './random.js';
import type { Corpus } from './sources/corpus.js';
import type { SourceDefinition } from './sources/registry.js';
import { SOURCES } from './sources/registry.js';
import { parseDatasetSpec } from './schema/load.js';
import type { DatasetSpec, DatasetSpecInput, SourceSpec } from './schema/dataset-schema.js';
import type { SyntheticSet } from './synthetic/synthetic-context.js';
import type { CorpusWindow } from './windows.js';
import { selectWindows } from './windows.js';

/** Overrides of the spec's settings (a pipeline step decides them); each defaults to the spec's value. */
export interface BuildOptions {
  readonly seqLen?: number;
  readonly count?: number;
  readonly seed?: number;
  readonly bosPolicy?: BosPolicy;
  /** Vocabulary facts for synthetic sources when there is no tokenizer (config.json vocab_size, bos_token_id). */
  readonly vocab?: VocabInfo;
}

/** Where a text sequence came from. */
export interface SequenceOrigin {
  readonly document: string;
  /** Offset of the first text token within the document's token ids. */
  readonly tokenOffset: number;
}

/** N sequences of exactly T token ids, and what is needed to interpret and reproduce them. */
export interface EvalSet {
  readonly name: string;
  /** [count][seqLen] token ids; with BOS, each row is [BOS] + seqLen-1 text/synthetic tokens. */
  readonly sequences: number[][];
  /** True when every sequence starts with the BOS id (false: none does). */
  readonly firstIsBos: boolean;
  /** One line: source, shape, BOS rule, seed, tokenizer. */
  readonly description: string;
  /** sha256 of the source data (corpus texts, or the generator's parameters). */
  readonly sourceHash: string;
  /** sha256 of the exact ids (little-endian int32 rows). */
  readonly sequencesHash: string;
  readonly count: number;
  readonly seqLen: number;
  readonly seed: number;
  readonly bosPolicy: BosPolicy;
  /** The special ids every sequence starts with (the BOS, or nothing). */
  readonly prefixIds: readonly number[];
  /** Per sequence, for text sources: the document and token offset of its window. */
  readonly origins?: readonly SequenceOrigin[];
  /** The normalised spec with the overrides applied. */
  readonly spec: DatasetSpec;
}

function checkSetting(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} = ${value} must be an integer in [${min}, ${max}]`);
}

/**
 * Build an eval set from a spec. Text sources need a tokenizer; synthetic ones only a vocabulary
 * (from the tokenizer, or options.vocab). T = seqLen counts the BOS when the policy adds one:
 * each row is [BOS] + (T-1) tokens, or T tokens without BOS. Deterministic: the same spec,
 * settings and tokenizer give the same ids on every machine.
 */
export async function buildEvalSet(specInput: DatasetSpec | DatasetSpecInput, tokenizer: EvalTokenizer | null, options: BuildOptions = {}): Promise<EvalSet> {
  const parsed = parseDatasetSpec(specInput, `dataset spec '${(specInput as { name?: unknown }).name ?? '?'}'`);
  const spec: DatasetSpec = {
    ...parsed,
    count: options.count ?? parsed.count,
    seqLen: options.seqLen ?? parsed.seqLen,
    seed: options.seed ?? parsed.seed,
    bosPolicy: options.bosPolicy ?? parsed.bosPolicy,
  };
  const where = `dataset '${spec.name}'`;
  checkSetting(`${where}: count`, spec.count, 1);
  checkSetting(`${where}: seqLen`, spec.seqLen, 1);
  checkSetting(`${where}: seed`, spec.seed, 0, 0xffffffff);
  if (!BOS_POLICIES.includes(spec.bosPolicy)) throw new Error(`${where}: bosPolicy ${JSON.stringify(spec.bosPolicy)} is not one of ${BOS_POLICIES.join(', ')}`);

  const definition = SOURCES[spec.source.kind] as SourceDefinition<SourceSpec>;
  if (definition.category === 'task') {
    throw new Error(`${where}: source '${spec.source.kind}' is a task for the depth analyses (a pipeline's analyses.${spec.source.kind === 'labelled' ? 'probes' : 'multipleChoice'}), not an evaluation set of windows`);
  }
  const rng = SeededRandom.sfc32(spec.seed);
  const built =
    definition.category === 'text'
      ? await buildFromText(spec, await definition.load(spec.source), tokenizer, rng, where)
      : fromSynthetic(definition.generate(spec.source, { count: spec.count, seqLen: spec.seqLen, seed: spec.seed, bosPolicy: spec.bosPolicy, rng, tokenizer, vocab: options.vocab, where }), spec, where);

  const { sequences, prefix, bosTokenId } = built;
  for (const row of sequences) if (row.length !== spec.seqLen) throw new Error(`${where}: internal error: a sequence has ${row.length} tokens, not ${spec.seqLen}`);
  const startsWithBos = sequences.map((row) => bosTokenId !== null && row[0] === bosTokenId);
  const firstIsBos = startsWithBos.every(Boolean);
  if (!firstIsBos && startsWithBos.some(Boolean)) throw new Error(`${where}: internal error: some sequences start with BOS and some do not`);

  const shape = prefix.length > 0 ? `[BOS] + ${spec.seqLen - prefix.length}` : `${spec.seqLen}, no BOS`;
  const description = `${spec.name}: ${spec.count} x ${spec.seqLen} tokens (${shape}) from ${built.label}; seed ${spec.seed}, bosPolicy ${spec.bosPolicy}`;
  return {
    name: spec.name,
    sequences,
    firstIsBos,
    description,
    sourceHash: built.sourceHash,
    sequencesHash: sha256OfSequences(sequences),
    count: spec.count,
    seqLen: spec.seqLen,
    seed: spec.seed,
    bosPolicy: spec.bosPolicy,
    prefixIds: prefix,
    ...(built.origins ? { origins: built.origins } : {}),
    spec,
  };
}

interface BuiltSequences {
  readonly sequences: number[][];
  readonly prefix: readonly number[];
  readonly bosTokenId: number | null;
  readonly label: string;
  readonly sourceHash: string;
  readonly origins?: readonly SequenceOrigin[];
}

async function buildFromText(spec: DatasetSpec, corpus: Corpus, tokenizer: EvalTokenizer | null, rng: SeededRandom, where: string): Promise<BuiltSequences> {
  if (!tokenizer) {
    throw new Error(`${where}: source '${spec.source.kind}' is text and needs a tokenizer (this checkpoint has none: use a synthetic source, or token ids)`);
  }
  const prefix = tokenizer.prefixIds(spec.bosPolicy);
  const windowLen = spec.seqLen - prefix.length;
  if (windowLen < 1) throw new Error(`${where}: seqLen ${spec.seqLen} leaves no room for text after the ${prefix.length} prefix token(s)`);
  const sequenceNote = `${spec.seqLen} tokens (${prefix.length > 0 ? `[BOS] + ${windowLen}` : `${windowLen}`} text tokens)`;
  const windowsPerDocument = 'windowsPerDocument' in spec.source ? spec.source.windowsPerDocument : undefined;
  const windows: CorpusWindow[] = selectWindows(corpus, {
    windowLen,
    count: spec.count,
    rng,
    encode: (text) => tokenizer.encodeRaw(text),
    windowsPerDocument,
    forbiddenFirstId: prefix.length === 0 ? tokenizer.bosTokenId : null,
    sequenceNote,
  });
  return {
    sequences: windows.map((w) => [...prefix, ...w.ids]),
    prefix,
    bosTokenId: tokenizer.bosTokenId,
    label: `${corpus.label}, non-overlapping windows; tokenizer: ${tokenizer.describe()}`,
    sourceHash: sha256OfParts([spec.source.kind, corpus.packing, corpus.separator, ...corpus.documents.flatMap((d) => [d.id, d.text])]),
    origins: windows.map((w) => ({ document: w.document, tokenOffset: w.tokenOffset })),
  };
}

function fromSynthetic(set: SyntheticSet, spec: DatasetSpec, where: string): BuiltSequences {
  if (spec.seqLen <= set.prefix.length) throw new Error(`${where}: seqLen ${spec.seqLen} leaves no room after the ${set.prefix.length} prefix token(s)`);
  return { sequences: set.sequences, prefix: set.prefix, bosTokenId: set.bosTokenId, label: set.label, sourceHash: sha256OfParts(set.identity) };
}
