import { ArtifactInputError } from '../errors.js';
import { isSha256Hex } from '../hash/hash-inputs.js';
import type { ArtifactRef } from './backend.js';

/** Kind names are folder names: lowercase snake_case (or kebab-case), at most 64 characters. */
const KIND_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

/** Check a kind name; an error naming it otherwise. */
export function requireKind(kind: string): void {
  if (typeof kind !== 'string' || !KIND_NAME.test(kind)) {
    throw new ArtifactInputError(`artifact kind ${JSON.stringify(kind)} is not a lowercase snake_case name`);
  }
}

/** Check a (kind, key) pair: keys are SHA-256 hex digests, as `hashInputs` returns them. */
export function requireRef(kind: string, key: string): ArtifactRef {
  requireKind(kind);
  if (!isSha256Hex(key)) {
    throw new ArtifactInputError(`artifact '${kind}': key ${JSON.stringify(key)} is not a lowercase SHA-256 hex digest (make keys with hashInputs)`);
  }
  return { kind, key };
}
