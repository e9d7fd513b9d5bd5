/**
 * Bad input to the artifact layer: a wrong column, a missing metadata key, an invalid kind or key.
 * The message names the artifact kind (and the column or key) so the caller can find the step at fault.
 */
export class ArtifactInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactInputError';
  }
}

/** A store operation that could not complete (lock timeout, I/O failure); nothing half-written is left. */
export class ArtifactStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArtifactStoreError';
  }
}

/** Node's errno code of an error, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}
