import { parseArgs } from 'node:util';
import { parseBackend, parseBosPolicy, resolveHooks, TfjsModel, writeSafetensors, type HookName, type TensorToWrite } from '@sinkscope/model-io';
import { CliError } from '../cli-error.js';
import { resolveModelDir } from '../model-path.js';
import { info, progress } from '../progress.js';
import { tokenInput } from '../token-input.js';

export const extractUsage =
  'sinkscope extract --model <dir|default> (--text "..." | --token-ids <file.json>) --hooks <names or globs> --out <file.safetensors> [--bos auto|always|never] [--backend wasm|cpu|tensorflow] [--batch-size 8]';

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
      backend: { type: 'string' },
      'batch-size': { type: 'string', default: '8' },
    },
  });
  if (!values.hooks) throw new CliError('--hooks is required, e.g. "blocks.*.hook_resid_post,blocks.*.attn.hook_pattern,logits"');
  if (!values.out) throw new CliError('--out is required (a .safetensors file)');
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new CliError(`--batch-size must be a positive integer, got ${values['batch-size']}`);
  const bosPolicy = parseBosPolicy(values.bos as string);
  const dir = resolveModelDir(values.model);
  const model = await TfjsModel.load(dir, values.backend ? { backend: parseBackend(values.backend) } : {});
  try {
    const hooks = resolveHooks(model.arch, values.hooks); // unknown hooks fail before any work
    const input = await tokenInput(dir, {
      text: values.text,
      tokenIds: values['token-ids'],
      bosPolicy,
      bosTokenId: model.arch.bosTokenId,
      vocabSize: model.arch.vocabSize,
    });
    info(`model ${dir} (${model.arch.modelType}), backend ${model.backend}, ${input.sequences.length} sequence(s), BOS policy ${bosPolicy}, first token is BOS: ${input.firstIsBos}`);
    const seqLen = Math.max(...input.sequences.map((s) => s.length));
    const batch = input.sequences.length;
    const buffers = new Map<HookName, { shape: number[]; data: Float32Array }>();
    for (let start = 0; start < batch; start += batchSize) {
      const chunk = input.sequences.slice(start, start + batchSize);
      const out = model.run(chunk, { capture: hooks, padTo: seqLen });
      for (const [name, t] of out) {
        let buf = buffers.get(name);
        if (!buf) {
          const shape = [batch, ...t.shape.slice(1)];
          buf = { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
          buffers.set(name, buf);
        }
        buf.data.set(t.data, (start * t.data.length) / chunk.length);
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
      engine: 'tfjs',
      backend: model.backend,
      hooks: hooks.join(','),
    });
    process.stdout.write(`wrote ${values.out} (${tensors.length} tensors)\n`);
    return 0;
  } finally {
    model.dispose();
  }
}
