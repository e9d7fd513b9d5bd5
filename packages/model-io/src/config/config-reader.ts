import { FileFieldError } from '../file-error.js';

/** A malformed or unsupported `config.json`; the message names the file and the field. */
export class ConfigError extends FileFieldError {}

/** Typed, validating access to a Hugging Face `config.json` (defaults are the transformers v4.44 class defaults). */
export class ConfigReader {
  constructor(
    readonly file: string,
    readonly raw: Readonly<Record<string, unknown>>,
  ) {}

  has(field: string): boolean {
    return this.raw[field] !== undefined && this.raw[field] !== null;
  }

  private fail(field: string, expected: string): never {
    throw new ConfigError(this.file, field, `expected ${expected}, got ${JSON.stringify(this.raw[field])}`);
  }

  int(field: string, fallback?: number): number {
    const v = this.raw[field];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw new ConfigError(this.file, field, 'is required but missing');
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
      throw new ConfigError(this.file, field, 'is required but missing');
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
      throw new ConfigError(this.file, field, 'is required but missing');
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
      throw new ConfigError(this.file, field, `value ${JSON.stringify(v)} is not supported (${why})`);
    }
  }
}
