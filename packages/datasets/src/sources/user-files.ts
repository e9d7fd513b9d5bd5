import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { SourceSpecOf } from '../schema/dataset-schema.js';
import type { Corpus } from './corpus.js';

async function readText(path: string, kind: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`${kind} source: cannot read ${path} (${(error as Error).message})`);
  }
}

/** A JSON-lines file: one document per non-blank line, its text in `field`. Errors name the line. */
export async function loadJsonl(spec: SourceSpecOf<'jsonl'>): Promise<Corpus> {
  const lines = (await readText(spec.path, 'jsonl')).split('\n');
  const documents = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim().length === 0) continue;
    let record: unknown;
    try {
      record = JSON.parse(lines[i]);
    } catch (error) {
      throw new Error(`${spec.path}:${i + 1}: not valid JSON (${(error as Error).message})`);
    }
    const text = record !== null && typeof record === 'object' ? (record as Record<string, unknown>)[spec.field] : undefined;
    if (typeof text !== 'string') throw new Error(`${spec.path}:${i + 1}: field '${spec.field}' is ${text === undefined ? 'missing' : `not a string (${JSON.stringify(text)})`}`);
    documents.push({ id: `line ${i + 1}`, text });
  }
  if (documents.length === 0) throw new Error(`${spec.path}: holds no records`);
  return {
    label: `jsonl ${basename(spec.path)} (field '${spec.field}', ${documents.length} documents${spec.packing === 'concatenate' ? ', concatenated' : ''})`,
    documents,
    packing: spec.packing,
    separator: spec.separator,
  };
}

/** A plain text file: one document. */
export async function loadTextFile(spec: SourceSpecOf<'text'>): Promise<Corpus> {
  const text = await readText(spec.path, 'text');
  return { label: `text ${basename(spec.path)}`, documents: [{ id: basename(spec.path), text }], packing: 'per-document', separator: '' };
}
