/**
 * A bad input file (config.json, a safetensors file, a tokenizer file): the message names the file,
 * then where in it (`field 'x'`, `tensor 'y'`) when known, then what is wrong. `name` is the subclass's.
 */
export class FileError extends Error {
  constructor(
    readonly file: string,
    where: string | undefined,
    detail: string,
  ) {
    super(`${file}${where ? `: ${where}` : ''}: ${detail}`);
    this.name = new.target.name;
  }
}

/** A FileError about one field of a JSON file. */
export class FileFieldError extends FileError {
  constructor(
    file: string,
    readonly field: string | undefined,
    detail: string,
  ) {
    super(file, field ? `field '${field}'` : undefined, detail);
  }
}
