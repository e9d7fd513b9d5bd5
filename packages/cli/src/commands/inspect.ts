import { parseArgs } from 'node:util';
import { alibiSlopes, Checkpoint, hasTokenizer, loadTokenizer, parameterCount, type ArchSpec } from '@sinkscope/model-io';
import { locateModelArg } from '../model-path.js';

export const inspectUsage = 'sinkscope inspect <checkpoint folder | default | org/name[@revision]> [--json]';

/** Architecture, parameter count, stored dtype, BOS policy and tokenizer of a checkpoint. */
export async function inspect(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const location = locateModelArg(positionals[0]);
  const dir = location.dir;
  const ckpt = Checkpoint.open(dir);
  try {
    const a = ckpt.arch;
    const tokenizer = hasTokenizer(dir) ? await loadTokenizer(dir) : undefined;
    const summary = {
      checkpoint: dir,
      // a model from the Hugging Face cache: which repo, the revision asked for and the commit it names
      ...(location.kind === 'hub' ? { repo: location.repoId, revision: location.revision, commit: location.commit } : {}),
      modelType: a.modelType,
      family: ckpt.family.summary,
      parameters: parameterCount(a),
      storedDtypes: ckpt.storedDtypes,
      weightFiles: ckpt.weightFiles.length,
      float32Bytes: ckpt.float32Bytes,
      layers: a.nLayers,
      dModel: a.dModel,
      heads: a.nHeads,
      kvHeads: a.nKvHeads,
      headDim: a.headDim,
      dMlp: a.dMlp,
      vocabSize: a.vocabSize,
      norm: `${a.norm.kind} (eps ${a.norm.eps})`,
      residual: a.residual,
      positional: describePositional(a),
      mlp: `${a.mlp.kind} ${a.mlp.activation}`,
      tiedEmbeddings: a.tiedEmbeddings,
      bosTokenId: a.bosTokenId ?? null,
      bosPolicyAuto: tokenizer ? (tokenizer.addsBosByDefault ? 'auto adds BOS' : 'auto adds no BOS') : 'no tokenizer (give token ids; BOS is whatever the ids start with)',
      tokenizer: tokenizer ? tokenizer.describe() : null,
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    } else {
      const width = Math.max(...Object.keys(summary).map((k) => k.length));
      for (const [k, v] of Object.entries(summary)) {
        const shown = typeof v === 'object' && v !== null ? JSON.stringify(v) : k === 'parameters' ? Number(v).toLocaleString('en-US') : String(v);
        process.stdout.write(`${k.padEnd(width)}  ${shown}\n`);
      }
    }
    return 0;
  } finally {
    ckpt.close();
  }
}

function describePositional(a: ArchSpec): string {
  switch (a.positional.kind) {
    case 'rotary':
      return `rotary (${a.positional.rotaryDim}/${a.headDim} dims, base ${a.positional.base})`;
    case 'learned':
      return `learned (offset ${a.positional.offset})`;
    case 'alibi':
      return `alibi (slopes ${alibiSlopes(a.nHeads).map((m) => Number(m.toPrecision(4))).join(', ')})`;
    case 'none':
      return 'none';
  }
}
