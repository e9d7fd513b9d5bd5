import { CheckpointTokenizer } from './checkpoint-tokenizer.js';
import { readTokenizerFiles } from './checkpoint-files.js';

/**
 * Load the tokenizer of a Hugging Face checkpoint folder: `tokenizer.json` (required) plus
 * `tokenizer_config.json`, `special_tokens_map.json`, `config.json` and `generation_config.json`
 * where present (for the tokenizer class and the BOS/EOS ids). Errors name the file.
 */
export async function loadTokenizer(checkpointDir: string): Promise<CheckpointTokenizer> {
  return CheckpointTokenizer.fromFiles(await readTokenizerFiles(checkpointDir));
}
