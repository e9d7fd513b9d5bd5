/** A malformed or unreadable safetensors file; the message names the file and, where known, the tensor. */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    readonly tensor: string | undefined,
    detail: string,
  ) {
    super(`${file}${tensor ? `: tensor '${tensor}'` : ''}: ${detail}`);
    this.name = 'SafetensorsError';
  }
}
