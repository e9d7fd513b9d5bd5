import type { SourceKind, SourceSpecOf } from '../schema/dataset-schema.js';
import { generateBigramBackcopy } from '../synthetic/bigram-backcopy.js';
import { generateRandomTokens } from '../synthetic/random-tokens.js';
import { generateRepeatedToken } from '../synthetic/repeated-token.js';
import type { SyntheticContext, SyntheticSet } from '../synthetic/synthetic-context.js';
import { loadBrown } from './brown.js';
import type { Corpus } from './corpus.js';
import { loadMobyDick } from './moby-dick.js';
import { loadSotu } from './sotu.js';
import { loadJsonl, loadTextFile } from './user-files.js';

/** A text source: loads documents; the builder tokenizes them and cuts windows. */
export interface TextSourceDefinition<S> {
  readonly category: 'text';
  load(spec: S): Corpus | Promise<Corpus>;
}

/** A synthetic source: generates token ids directly (needs only a vocabulary). */
export interface SyntheticSourceDefinition<S> {
  readonly category: 'synthetic';
  generate(spec: S, context: SyntheticContext): SyntheticSet;
}

/** A task source (multiple choice, labelled texts): items for the depth analyses, never windows (tasks/). */
export interface TaskSourceDefinition {
  readonly category: 'task';
}

export type SourceDefinition<S> = TextSourceDefinition<S> | SyntheticSourceDefinition<S> | TaskSourceDefinition;

/** Every source kind and its implementation; the mapped type makes a missing kind a compile error. */
export const SOURCES: { readonly [K in SourceKind]: SourceDefinition<SourceSpecOf<K>> } = {
  sotu: { category: 'text', load: loadSotu },
  'moby-dick': { category: 'text', load: loadMobyDick },
  brown: { category: 'text', load: loadBrown },
  jsonl: { category: 'text', load: loadJsonl },
  text: { category: 'text', load: loadTextFile },
  'random-tokens': { category: 'synthetic', generate: generateRandomTokens },
  'repeated-token': { category: 'synthetic', generate: generateRepeatedToken },
  'bigram-backcopy': { category: 'synthetic', generate: generateBigramBackcopy },
  'multiple-choice': { category: 'task' },
  labelled: { category: 'task' },
};

/** Load the documents of a text source (for inspection and tests). */
export async function loadCorpus<K extends SourceKind>(spec: SourceSpecOf<K>): Promise<Corpus> {
  const definition = SOURCES[spec.kind as K] as SourceDefinition<SourceSpecOf<K>>;
  if (definition.category !== 'text') throw new Error(`source '${spec.kind}' is ${definition.category}: it has no documents`);
  return definition.load(spec);
}
