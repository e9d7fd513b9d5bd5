import { parseArgs } from 'node:util';
import { hookRows, resolveHooks, writeSafetensors, type HookName, type HostArray, type TensorToWrite } from '@sinkscope/model-io';
import { CliError } from '../cli-error.js';
import { ENGINE_FLAGS_USAGE, loadModelRun, MODEL_INPUT_OPTIONS, modelRunInput } from '../model-flags.js';
import { info, progress } from '../progress.js';

export const extractUsage =
  'sinkscope extract --model <dir|default> (--text "..." | --token-ids <file.json>) --hooks <names or globs> --out <file.safetensors> [--bos auto|always|never] [--engine auto|onnx|tfjs] [--backend wasm|cpu|tensorflow] [--batch-size 8] ' + ENGINE_FLAGS_USAGE;

/**
 * Copy sequence b of a chunk's output (padded to the chunk's own length) into row `row` of the
 * whole job's tensor (padded to the longest sequence): [B,T,...] hooks, and per-head [B,H,T,keys]
 * maps (attention patterns, keys = T; an attention slot's weights, keys = 1).
 */
function placeSequence(dst: { shape: number[]; data: Float32Array }, row: number, src: HostArray, b: number, len: number, isPattern: boolean): void {
  if (isPattern) {
    const [, heads, tDst, kDst] = dst.shape;
    const [, , tSrc, kSrc] = src.shape;
    const keys = Math.min(len, kSrc);
    for (let h = 0; h < heads; h++)
      for (let q = 0; q < len; q++) {
        const from = ((b * heads + h) * tSrc + q) * kSrc;
        dst.data.set(src.data.subarray(from, from + keys), ((row * heads + h) * tDst + q) * kDst);
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
  const { values } = parseArgs({ args: argv, options: { ...MODEL_INPUT_OPTIONS, hooks: { type: 'string' }, out: { type: 'string' } } });
  if (!values.hooks) throw new CliError('--hooks is required, e.g. "blocks.*.hook_resid_post,blocks.*.attn.hook_pattern,logits"');
  if (!values.out) throw new CliError('--out is required (a .safetensors file)');
  const run = await loadModelRun(values);
  const { dir, model, bosPolicy, batchSize } = run;
  try {
    const hooks = resolveHooks(model.arch, values.hooks); // unknown hooks fail before any work
    const input = await modelRunInput(values, run);
    info(`model ${dir} (${model.arch.modelType}), engine ${model.engine} (${model.backend}), ${input.sequences.length} sequence(s), BOS policy ${bosPolicy}, first token is BOS: ${input.firstIsBos}`);
    const seqLen = Math.max(...input.sequences.map((s) => s.length));
    const batch = input.sequences.length;
    const buffers = new Map<HookName, { shape: number[]; data: Float32Array }>();
    for (let start = 0; start < batch; start += batchSize) {
      const chunk = input.sequences.slice(start, start + batchSize);
      const out = await model.run(chunk, { capture: hooks });
      for (const [name, t] of out) {
        const perHead = /attn\.hook_(pattern|slot)$/.test(name);
        const rows = hookRows(model.arch, name, seqLen); // a sink-token model has one row more inside its blocks
        let buf = buffers.get(name);
        if (!buf) {
          const shape = perHead ? [batch, t.shape[1], rows, name.endsWith('hook_slot') ? 1 : rows] : [batch, rows, ...t.shape.slice(2)];
          buf = { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
          buffers.set(name, buf);
        }
        chunk.forEach((seq, b) => placeSequence(buf!, start + b, t, b, hookRows(model.arch, name, seq.length), perHead));
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
