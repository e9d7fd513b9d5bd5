// The run metadata as the page and summary.md show it: one entry per key; a value that is a flat
// object (e.g. package versions) becomes a small table of its own instead of a JSON string.
import { formatCell } from '../format.js';

/** A key and its text, or its own rows of (key, text) for an object value. */
export type MetadataEntry = [string, string | [string, string][]];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** An object, or a JSON string holding one (Arrow schema metadata stores objects as JSON text), else undefined. */
function objectValue(value: unknown): Record<string, unknown> | undefined {
  if (isPlainObject(value)) return value;
  if (typeof value !== 'string' || !value.trimStart().startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return isPlainObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function metadataEntries(metadata: Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown> | undefined): MetadataEntry[] {
  if (metadata === undefined) return [];
  const entries = metadata instanceof Map ? [...metadata.entries()] : Object.entries(metadata);
  return entries.map(([key, value]): MetadataEntry => {
    const object = objectValue(value);
    const nested = object === undefined ? undefined : Object.entries(object);
    // only a flat object of scalars becomes a table; anything deeper stays JSON text
    if (nested && nested.length > 0 && nested.every(([, v]) => v === null || typeof v !== 'object')) return [String(key), nested.map(([k, v]) => [k, formatCell(v)])];
    return [String(key), formatCell(value)];
  });
}

/** One line of text for a Markdown table cell: `a 1; b 2` for a nested table. */
export function metadataText(value: MetadataEntry[1]): string {
  return typeof value === 'string' ? value : value.map(([k, v]) => `${k} ${v}`).join('; ');
}
