// `@sinkscope/artifacts/hash`: canonical JSON, input hashes and file digests (with the file-hash
// cache) alone, without the store: what Nx's runtime inputs load, so they start fast.
export { canonicalJson, type JsonValue } from './canonical-json.js';
export { hashInputs, isSha256Hex, type Sha256Hex } from './hash-inputs.js';
export { hashFile } from './hash-file.js';
export { hashFiles, type FileDigest, type FilesDigest, type HashFilesOptions } from './hash-files.js';
