/** A missing, malformed or unusable tokenizer file; the message names the file and, where known, the field. */
export class TokenizerError extends Error {
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    detail: string,
  ) {
    super(`${file}${field ? `: field '${field}'` : ''}: ${detail}`);
    this.name = 'TokenizerError';
  }
}
