/**
 * Convert a GPT-2 style byte-level BPE vocabulary (`vocab.json` / `encoder.json`: token -> id, and
 * `merges.txt` / `vocab.bpe`: one merge "a b" per line after a "#version" header) into the
 * `tokenizer.json` that Hugging Face's GPT2TokenizerFast saves: ByteLevel pre-tokenizer (GPT-2's
 * regex, no prefix space), ByteLevel post-processor and decoder, BPE model with the merges in rank
 * order, and `<|endoftext|>` as the one special added token.
 *
 * CLI: npx tsx packages/model-io/tools/gpt2-bpe-to-tokenizer-json.ts <vocab.json> <merges.txt> <out/tokenizer.json>
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

export const GPT2_END_OF_TEXT = '<|endoftext|>';

/** Parse merges text: skips the "#version" header and blank lines; each line must be two tokens. */
export function parseMerges(mergesText: string, file = 'merges'): string[] {
  const merges: string[] = [];
  mergesText.split('\n').forEach((rawLine, index) => {
    const line = rawLine.replace(/\r$/, '');
    if (line.length === 0 || (index === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0].length === 0 || parts[1].length === 0) {
      throw new Error(`${file}: line ${index + 1} ${JSON.stringify(line)} is not a merge "a b"`);
    }
    merges.push(line);
  });
  return merges;
}

/** Build the tokenizer.json object; every merge's parts and result must be in the vocabulary. */
export function gpt2TokenizerJson(vocab: Record<string, number>, mergesText: string, source = 'merges'): Record<string, unknown> {
  const merges = parseMerges(mergesText, source);
  merges.forEach((merge, rank) => {
    const [a, b] = merge.split(' ');
    for (const token of [a, b, a + b]) {
      if (!(token in vocab)) throw new Error(`${source}: merge ${rank} ${JSON.stringify(merge)} uses ${JSON.stringify(token)}, which is not in the vocabulary`);
    }
  });
  const endOfTextId = vocab[GPT2_END_OF_TEXT];
  const addedTokens =
    endOfTextId === undefined
      ? []
      : [{ id: endOfTextId, content: GPT2_END_OF_TEXT, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }];
  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...byteLevel },
    post_processor: { type: 'ByteLevel', ...byteLevel, trim_offsets: false },
    decoder: { type: 'ByteLevel', ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** Read vocab + merges files and write tokenizer.json (via a temp file and a rename: never half-written). */
export async function convertGpt2BpeFiles(vocabPath: string, mergesPath: string, outPath: string): Promise<void> {
  let vocab: Record<string, number>;
  try {
    vocab = JSON.parse(await readFile(vocabPath, 'utf8'));
  } catch (error) {
    throw new Error(`${vocabPath}: cannot read the vocabulary JSON (${(error as Error).message})`);
  }
  const json = gpt2TokenizerJson(vocab, await readFile(mergesPath, 'utf8'), mergesPath);
  const partial = `${outPath}.partial`;
  await writeFile(partial, JSON.stringify(json));
  await rename(partial, outPath);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [vocabPath, mergesPath, outPath] = process.argv.slice(2);
  if (!vocabPath || !mergesPath || !outPath) {
    console.error('usage: gpt2-bpe-to-tokenizer-json.ts <vocab.json> <merges.txt> <out/tokenizer.json>');
    process.exit(2);
  }
  await convertGpt2BpeFiles(vocabPath, mergesPath, outPath);
  console.log(`wrote ${outPath}`);
}
