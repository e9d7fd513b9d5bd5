import { fileURLToPath } from 'node:url';

/** The shared golden fixtures (`../shared/fixtures/hf` from the repo root). */
export const HF_FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/hf/', import.meta.url));
