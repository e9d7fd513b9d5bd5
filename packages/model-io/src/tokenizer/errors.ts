import { FileFieldError } from '../file-error.js';

/** A missing, malformed or unusable tokenizer file; the message names the file and, where known, the field. */
export class TokenizerError extends FileFieldError {}
