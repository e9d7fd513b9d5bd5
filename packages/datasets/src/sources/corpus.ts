/** One document of a text corpus. */
export interface CorpusDocument {
  /** Stable name used in provenance, e.g. "1790 George Washington", "chapter 12", "ca01". */
  readonly id: string;
  readonly text: string;
}

/** A text corpus ready to tokenize. */
export interface Corpus {
  /** Short label for descriptions, e.g. "moby-dick (chapters 1-135 + epilogue)". */
  readonly label: string;
  readonly documents: readonly CorpusDocument[];
  /** per-document: windows stay inside a document; concatenate: documents joined with `separator`. */
  readonly packing: 'per-document' | 'concatenate';
  readonly separator: string;
}
