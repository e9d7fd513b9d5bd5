import { parseArgs } from 'node:util';
import { loadExtractionModel, parseBackend, parseBosPolicy, parseEngineChoice, resolveHooks, writeSafetensors, type HookName, type HostArray, type TensorToWrite } from '@sinkscope/model-io';
import { CliError } from '../cli-error.js';
import { ENGINE_FLAG_OPTIONS, ENGINE_FLAGS_USAGE, onnxOptions } from '../engine-flags.js';
import { resolveModelDir } from '../model-path.js';
import { info, progress } from '../progress.js';
import { maxTokensOf, tokenInput } from '../token-input.js';

export const extractUsage =
  'sinkscope extract --model <dir|default> (--text "..." | --token-ids <file.json>) --hooks <names or globs> --out <file.safetensors> [--bos auto|always|never] [--engine auto|onnx|tfjs] [--backend wasm|cpu|tensorflow] [--batch-size 8] ' + ENGINE_FLAGS_USAGE;

/**
 * Copy sequence b of a chunk's output (padded to the chunk's own length) into row `row` of the
 * whole job's tensor (padded to the longest sequence): [B,T,...] hooks, and [B,H,T,T] patterns.
 */
function placeSequence(dst: { shape: number[]; data: Float32Array }, row: number, src: HostArray, b: number, len: number, isPattern: boolean): void {
  if (isPattern) {
    const [, heads, tDst] = dst.shape;
    const tSrc = src.shape[2];
    for (let h = 0; h < heads; h++)
      for (let q = 0; q < len; q++) {
        const from = ((b * heads + h) * tSrc + q) * tSrc;
        dst.data.set(src.data.subarray(from, from + len), ((row * heads + h) * tDst + q) * tDst);
      }
    return;
  }
  const tDst = dst.shape[1];
  const tSrc = src.shape[1];
  const inner = src.shape.slice(2).reduce((a, c) => a * c, 1);
  dst.data.set(src.data.subarray(b * tSrc * inner, (b * tSrc + len) * inner), row * tDst * inner);
}

/** Frobenius norm and max |x| of a tensor, for the printed summary. */
function norms(data: Float32Array): { norm: number; maxAbs: number } {
  let sq = 0;
  let maxAbs = 0;
  for (let i = 0; i < data.length; i++) {
    sq += data[i] * data[i];
    maxAbs = Math.max(maxAbs, Math.abs(data[i]));
  }
  return { norm: Math.sqrt(sq), maxAbs };
}

/** One forward pass over the inputs; every captured hook written as a float32 tensor named by its hook. */
export async function extract(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      text: { type: 'string' },
      'token-ids': { type: 'string' },
      hooks: { type: 'string' },
      out: { type: 'string' },
      bos: { type: 'string', default: 'auto' },
      engine: { type: 'string', default: 'auto' },
      backend: { type: 'string' },
      ...ENGINE_FLAG_OPTIONS,
      'batch-size': { type: 'string', default: '8' },
    },
  });
  if (!values.hooks) throw new CliError('--hooks is required, e.g. "blocks.*.hook_resid_post,blocks.*.attn.hook_pattern,logits"');
  if (!values.out) throw new CliError('--out is required (a .safetensors file)');
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new CliError(`--batch-size must be a positive integer, got ${values['batch-size']}`);
  const bosPolicy = parseBosPolicy(values.bos as string);
  const dir = resolveModelDir(values.model);
  const model = await loadExtractionModel(dir, { engine: parseEngineChoice(values.engine as string),
    onnx: onnxOptions(values), ...(values.backend ? { backend: parseBackend(values.backend) } : {}) });
  try {
    const hooks = resolveHooks(model.arch, values.hooks); // unknown hooks fail before any work
    const input = await tokenInput(dir, {
      text: values.text,
      tokenIds: values['token-ids'],
      bosPolicy,
      bosTokenId: model.arch.bosTokenId,
      vocabSize: model.arch.vocabSize,
      maxTokens: maxTokensOf(model.arch),
    });
    info(`model ${dir} (${model.arch.modelType}), engine ${model.engine} (${model.backend}), ${input.sequences.length} sequence(s), BOS policy ${bosPolicy}, first token is BOS: ${input.firstIsBos}`);
    const seqLen = Math.max(...input.sequences.map((s) => s.length));
    const batch = input.sequences.length;
    const buffers = new Map<HookName, { shape: number[]; data: Float32Array }>();
    for (let start = 0; start < batch; start += batchSize) {
      const chunk = input.sequences.slice(start, start + batchSize);
      const out = await model.run(chunk, { capture: hooks });
      for (const [name, t] of out) {
        let buf = buffers.get(name);
        if (!buf) {
          const shape = name.endsWith('hook_pattern') ? [batch, t.shape[1], seqLen, seqLen] : [batch, seqLen, ...t.shape.slice(2)];
          buf = { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
          buffers.set(name, buf);
        }
        chunk.forEach((seq, b) => placeSequence(buf!, start + b, t, b, seq.length, name.endsWith('hook_pattern')));
      }
      progress('extract', Math.min(start + batchSize, batch), batch, 'sequences');
    }
    const inputIds = new BigInt64Array(batch * seqLen);
    input.sequences.forEach((s, i) => s.forEach((id, j) => (inputIds[i * seqLen + j] = BigInt(id))));
    const tensors: TensorToWrite[] = [{ name: 'input_ids', shape: [batch, seqLen], data: inputIds }];
    if (input.sequences.some((s) => s.length !== seqLen)) {
      tensors.push({ name: 'lengths', shape: [batch], data: BigInt64Array.from(input.sequences.map((s) => BigInt(s.length))) });
    }
    for (const name of hooks) {
      const t = buffers.get(name)!;
      tensors.push({ name, shape: t.shape, data: t.data });
      const { norm, maxAbs } = norms(t.data);
      process.stdout.write(`${name.padEnd(32)} [${t.shape.join(', ')}]  norm ${norm.toPrecision(6)}  max|x| ${maxAbs.toPrecision(6)}\n`);
    }
    writeSafetensors(values.out, tensors, {
      model: dir,
      model_type: model.arch.modelType,
      bos_policy: bosPolicy,
      first_token_is_bos: String(input.firstIsBos),
      engine: model.engine,
      backend: model.backend,
      hooks: hooks.join(','),
    });
    process.stdout.write(`wrote ${values.out} (${tensors.length} tensors)\n`);
    return 0;
  } finally {
    model.dispose();
  }
}
