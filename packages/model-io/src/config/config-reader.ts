import { FileFieldError } from '../file-error.js';

/** A malformed or unsupported `config.json`; the message names the file and the field. */
export class ConfigError extends FileFieldError {}

/** Typed, validating access to a Hugging Face `config.json` (defaults are the transformers v4.44 class defaults). */
export class ConfigReader {
  constructor(
    readonly file: string,
    readonly raw: Readonly<Record<string, unknown>>,
    /** Path of this object inside config.json (`rope_scaling.`), so errors name the full field. */
    private readonly prefix = '',
  ) {}

  has(field: string): boolean {
    return this.raw[field] !== undefined && this.raw[field] !== null;
  }

  /** The field's full name in config.json, e.g. `rope_scaling.factor` for a nested reader's `factor`. */
  fieldName(field: string): string {
    return `${this.prefix}${field}`;
  }

  /** A ConfigError naming this file and `field` (in full). */
  error(field: string, detail: string): ConfigError {
    return new ConfigError(this.file, this.fieldName(field), detail);
  }

  private fail(field: string, expected: string): never {
    throw this.error(field, `expected ${expected}, got ${JSON.stringify(this.raw[field])}`);
  }

  /** A JSON object field as a reader of its own (errors name `field.sub`); undefined when absent or null. */
  object(field: string): ConfigReader | undefined {
    const v = this.raw[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(field, 'an object');
    return new ConfigReader(this.file, v as Record<string, unknown>, `${this.fieldName(field)}.`);
  }

  /** A list of finite numbers, of `length` entries when given. */
  numbers(field: string, length?: number): number[] {
    const v = this.raw[field];
    if (v === undefined || v === null) throw this.error(field, 'is required but missing');
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) this.fail(field, 'a list of numbers');
    if (length !== undefined && v.length !== length) throw this.error(field, `must have ${length} entries, got ${v.length}`);
    return v as number[];
  }

  /** A list of strings, each one of `allowed`, of `length` entries. */
  stringList<S extends string>(field: string, allowed: readonly S[], length: number): S[] {
    const v = this.raw[field];
    if (v === undefined || v === null) throw this.error(field, 'is required but missing');
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) this.fail(field, 'a list of strings');
    if (v.length !== length) throw this.error(field, `must have ${length} entries (one per layer), got ${v.length}`);
    const bad = v.findIndex((x) => !(allowed as readonly string[]).includes(x as string));
    if (bad >= 0) throw this.error(`${field}[${bad}]`, `${JSON.stringify(v[bad])} is not supported (supported: ${allowed.join(', ')})`);
    return v as S[];
  }

  int(field: string, fallback?: number): number {
    const v = this.raw[field];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw this.error(field, 'is required but missing');
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.fail(field, 'a non-negative integer');
    return v;
  }

  optInt(field: string): number | undefined {
    return this.has(field) ? this.int(field) : undefined;
  }

  number(field: string, fallback?: number): number {
    const v = this.raw[field];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw this.error(field, 'is required but missing');
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, 'a finite number');
    return v;
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.raw[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(field, 'true or false');
    return v;
  }

  string(field: string, fallback?: string): string {
    const v = this.raw[field];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw this.error(field, 'is required but missing');
    }
    if (typeof v !== 'string') this.fail(field, 'a string');
    return v;
  }

  /**
   * A token id that may be absent; ids outside [0, vocab) count as absent (GPT-2's 50256 in a tiny
   * vocab). A list (Llama 3's several EOS ids) gives its first; any other type is an error.
   */
  tokenId(field: string, vocabSize: number): number | undefined {
    const v = this.raw[field];
    const isId = (x: unknown) => typeof x === 'number' && Number.isInteger(x);
    if (v !== undefined && v !== null && !isId(v) && !(Array.isArray(v) && v.every(isId))) this.fail(field, 'a token id or a list of token ids');
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < vocabSize) return v;
    if (Array.isArray(v) && typeof v[0] === 'number' && v[0] >= 0 && v[0] < vocabSize) return v[0];
    return undefined;
  }

  /** Fail unless `field` is absent/null or equals one of `allowed`. */
  requireOneOf(field: string, allowed: readonly unknown[], why: string): void {
    const v = this.raw[field];
    if (v === undefined || v === null) return;
    if (!allowed.some((a) => JSON.stringify(a) === JSON.stringify(v))) {
      throw this.error(field, `value ${JSON.stringify(v)} is not supported (${why})`);
    }
  }
}
