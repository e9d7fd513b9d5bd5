export { main, registerCommand } from './main.js';
export { CliError } from './cli-error.js';
export { resolveModelDir, DEFAULT_MODEL_DIR } from './model-path.js';
export { progress, info } from './progress.js';
export { readTokenIdsFile, tokenInput } from './token-input.js';
