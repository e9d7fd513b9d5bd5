import { ArtifactInputError } from '../errors.js';

/** A value that canonical JSON can hold. Object properties that are `undefined` are dropped. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue | undefined };

/**
 * Canonical JSON text of `value`: the same value always gives the same bytes, so its hash can key a cache.
 *
 * Rules (those of RFC 8785, the JSON Canonicalization Scheme, for the values allowed here):
 * - object keys sorted by UTF-16 code units, no whitespace;
 * - properties whose value is `undefined` are left out (`{a: 1, b: undefined}` equals `{a: 1}`);
 * - numbers written as `JSON.stringify` writes them (shortest round-trip form, `-0` as `0`, `1e+21`);
 * - strings escaped as `JSON.stringify` escapes them;
 * - objects with a `toJSON` method (e.g. `Date`) are replaced by its result, as JSON does.
 *
 * Everything JSON would silently change is an error naming the path instead: NaN and ±Infinity (JSON
 * writes `null`), `undefined` inside an array, bigint, functions, symbols, Map/Set/typed arrays and
 * other class instances (JSON writes `{}` or an index-keyed object), and cycles.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

function write(value: unknown, path: string, ancestors: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new ArtifactInputError(`canonicalJson: ${path} is ${value}, which JSON cannot hold`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new ArtifactInputError(`canonicalJson: ${path} is a ${typeof value}, which JSON cannot hold`);
  }
  const obj = value as object;
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    return write((obj as { toJSON(key: string): unknown }).toJSON(''), path, ancestors);
  }
  if (ancestors.has(obj)) throw new ArtifactInputError(`canonicalJson: ${path} refers back to one of its parents (a cycle)`);
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj
        .map((item, i) => {
          if (item === undefined) throw new ArtifactInputError(`canonicalJson: ${path}[${i}] is undefined (JSON would write null)`);
          return write(item, `${path}[${i}]`, ancestors);
        })
        .join(',')}]`;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const name = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new ArtifactInputError(`canonicalJson: ${path} is a ${name}; pass plain objects, arrays, strings, finite numbers, booleans or null`);
    }
    const record = obj as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const item = record[key];
      if (item === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${write(item, `${path}.${key}`, ancestors)}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    ancestors.delete(obj);
  }
}
