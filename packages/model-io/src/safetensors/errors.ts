import { FileError } from '../file-error.js';

/** A malformed or unreadable safetensors file; the message names the file and, where known, the tensor. */
export class SafetensorsError extends FileError {
  constructor(
    file: string,
    readonly tensor: string | undefined,
    detail: string,
  ) {
    super(file, tensor ? `tensor '${tensor}'` : undefined, detail);
  }
}
