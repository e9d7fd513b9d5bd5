import { parseArgs } from 'node:util';
import { alibiSlopes, Checkpoint, hasTokenizer, isSlidingLayer, loadTokenizer, parameterCount, type ArchSpec, type RopeScaling } from '@sinkscope/model-io';
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
      ropeScaling: a.positional.kind === 'rotary' && a.positional.scaling ? describeRopeScaling(a.positional.scaling) : null,
      localRotary: a.localRotary ? `sliding layers: rotary (${a.localRotary.rotaryDim}/${a.headDim} dims, base ${a.localRotary.base})` : null,
      attentionScale: Number(a.attnScale.toPrecision(6)),
      slidingWindow: describeWindow(a),
      softCap: a.softCap ? [a.softCap.attention !== undefined ? `attention ${a.softCap.attention}` : '', a.softCap.logits !== undefined ? `final logits ${a.softCap.logits}` : ''].filter(Boolean).join(', ') : null,
      sublayerNorms: describeNorms(a),
      qkNorm: a.qkNorm === 'head' ? 'per head over head_dim, before rotary' : a.qkNorm === 'projection' ? 'over the whole q / k projection, before the head split' : null,
      experts: a.moe ? `${a.moe.experts} experts, top ${a.moe.topK}${a.moe.renormalize ? ', renormalised' : ''} (hook blocks.{l}.mlp.hook_router_probs)` : null,
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
        const shown = v === null ? 'none' : typeof v === 'object' ? JSON.stringify(v) : k === 'parameters' ? Number(v).toLocaleString('en-US') : String(v);
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

/** rope_scaling as resolved (the values the tables use, e.g. yarn's factor from max_position_embeddings / original). */
function describeRopeScaling(s: RopeScaling): string {
  const round = (x: number) => Number(x.toPrecision(6));
  switch (s.type) {
    case 'linear':
      return `linear (factor ${s.factor})`;
    case 'dynamic':
      return `dynamic (factor ${s.factor}, beyond ${s.maxPositions} positions)`;
    case 'llama3':
      return `llama3 (factor ${s.factor}, low/high frequency factors ${s.lowFreqFactor}/${s.highFreqFactor}, original ${s.originalMaxPositions})`;
    case 'yarn':
      return `yarn (factor ${round(s.factor)}, original ${s.originalMaxPositions}, beta ${s.betaFast}/${s.betaSlow}, attention factor ${round(s.attentionFactor)})`;
    case 'longrope':
      return `longrope (short factors up to ${s.originalMaxPositions} positions, long beyond; attention factor ${round(s.attentionFactor)})`;
  }
}

function describeWindow(a: ArchSpec): string | null {
  if (a.slidingWindow === undefined) return null;
  const layers = Array.from({ length: a.nLayers }, (_, l) => l).filter((l) => isSlidingLayer(a, l));
  return `${a.slidingWindow} tokens on ${layers.length === a.nLayers ? 'every layer' : `layers ${layers.join(', ')}`}`;
}

function describeNorms(a: ArchSpec): string {
  const { input, output } = a.sublayerNorms ?? { input: true, output: false };
  const placement = input && output ? 'before and after each sublayer' : output ? 'on each sublayer output only' : 'before each sublayer';
  return `${placement}${a.embeddingNorm ? '; also on the embeddings' : ''}`;
}
