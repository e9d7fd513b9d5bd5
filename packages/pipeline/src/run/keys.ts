import { hashInputs, type JsonValue } from '@sinkscope/artifacts';
import { attentionLayers, hasAttention, hiddenStateHooks, resolveHooks, type ArchSpec, type HookName } from '@sinkscope/model-io';
import { LAYER_ENTROPY, type MetricsKind } from '../kinds/step-kinds.js';
import type { PipelineSpec } from '../schema/pipeline-schema.js';

/** Bumped when a step's computation changes meaning, so old artifacts are not reused. */
export const STEP_CODE_VERSIONS = { extract: 1, metrics: 4, entropy: 2, lens: 1 } as const;

/** The attention map a report draws for one model: the spec's `patternExample`, its layer defaulting to the model's first block with attention. */
export interface PatternExample {
  readonly layer: number;
  readonly head: number;
  readonly sequence: number;
}

export function patternExample(spec: PipelineSpec, arch: ArchSpec): PatternExample {
  const { layer, head, sequence } = spec.patternExample;
  if (layer !== undefined) return { layer, head, sequence };
  const first = attentionLayers(arch)[0];
  if (first === undefined) throw new Error("field 'patternExample': this model has no block with attention");
  return { layer: first, head, sequence };
}

/**
 * The layers whose queries the q-k maps need: the example's, and those of the grid (every layer with attention for
 * 'alpha-extremes': the heads are chosen once alpha_1 is measured).
 */
export function qkLayers(spec: PipelineSpec, arch: ArchSpec): number[] {
  // alpha-extremes may pick any head of a block with attention (a block without attention has no q)
  const grid = spec.qkMaps.heads === 'alpha-extremes' ? attentionLayers(arch) : spec.qkMaps.heads.map((h) => h.layer);
  return [...new Set([patternExample(spec, arch).layer, ...grid])].sort((a, b) => a - b);
}

/**
 * The hooks the extract step captures: every hidden state (transformers convention) and the last
 * block's output before the final norm, every attention map, keys and values of every layer (their
 * norms), queries of the layers the q-k maps need, and the spec's extra hooks.
 */
export function extractHooks(spec: PipelineSpec, arch: ArchSpec): HookName[] {
  const hooks = new Set<HookName>(hiddenStateHooks(arch));
  hooks.add(preFinalNormHook(arch));
  for (let l = 0; l < arch.nLayers; l++) {
    if (!hasAttention(arch, l)) continue; // a block without attention (MLP only) has no pattern, keys or values
    hooks.add(`blocks.${l}.attn.hook_pattern`);
    hooks.add(`blocks.${l}.attn.hook_k`);
    hooks.add(`blocks.${l}.attn.hook_v`);
  }
  const example = patternExample(spec, arch);
  if (example.layer >= arch.nLayers) {
    throw new Error(`field 'patternExample.layer': ${example.layer} does not exist (the model has ${arch.nLayers} layers)`);
  }
  if (!hasAttention(arch, example.layer)) {
    throw new Error(`field 'patternExample.layer': block ${example.layer} of this model has no attention (blocks without attention: ${arch.attentionFreeLayers!.join(', ')})`);
  }
  if (example.head >= arch.nHeads) {
    throw new Error(`field 'patternExample.head': ${example.head} does not exist (the model has ${arch.nHeads} heads)`);
  }
  if (spec.qkMaps.heads !== 'alpha-extremes') {
    spec.qkMaps.heads.forEach(({ layer, head }, i) => {
      if (layer >= arch.nLayers || head >= arch.nHeads) {
        throw new Error(`field 'qkMaps.heads[${i}]': layer ${layer}, head ${head} does not exist (the model has ${arch.nLayers} layers of ${arch.nHeads} heads)`);
      }
      if (!hasAttention(arch, layer)) throw new Error(`field 'qkMaps.heads[${i}]': block ${layer} of this model has no attention (blocks without attention: ${arch.attentionFreeLayers!.join(', ')})`);
    });
  }
  for (const l of qkLayers(spec, arch)) hooks.add(`blocks.${l}.attn.hook_q`);
  if (spec.hooks.length) {
    let extra: HookName[];
    try {
      extra = resolveHooks(arch, spec.hooks);
    } catch (err) {
      throw new Error(`field 'hooks': ${(err as Error).message}`);
    }
    for (const h of extra) hooks.add(h);
  }
  return [...hooks];
}

/**
 * The key of one extract shard's activations. An unsharded run (one shard of everything) keeps the
 * key it always had, so a spec whose shardSize covers the dataset shares its artifacts.
 */
export function activationsKey(input: { modelHash: string; sequencesHash: string; hooks: readonly string[]; engine: string; bosPolicy: string; shard?: { start: number; end: number } }): string {
  const { shard, ...rest } = input;
  return hashInputs({ step: 'extract', version: STEP_CODE_VERSIONS.extract, ...rest, hooks: [...input.hooks], ...(shard ? { shard: { start: shard.start, end: shard.end } } : {}) } as JsonValue);
}

/** One key for a model's activations over all its shards (what metrics and entropy keys build on). */
export function combinedActivationsKey(shardKeys: readonly string[]): string {
  if (shardKeys.length === 0) throw new Error('no activation shards');
  return shardKeys.length === 1 ? shardKeys[0] : hashInputs({ activations: [...shardKeys] });
}

export function metricsKey(activations: string, spec: PipelineSpec, arch: ArchSpec): string {
  // the resolved example (an unset layer hashes as the block it stands for, as when it was always 0)
  const example = patternExample(spec, arch);
  return hashInputs({ step: 'metrics', version: STEP_CODE_VERSIONS.metrics, activations, metrics: spec.metrics, patternExample: example, qkMaps: spec.qkMaps } as unknown as JsonValue);
}

/** The last block's output as it enters the final norm (hidden state L is the norm's output). */
export function preFinalNormHook(arch: ArchSpec): HookName {
  return `blocks.${arch.nLayers - 1}.hook_resid_post`;
}

export function entropyKey(activations: string, spec: PipelineSpec): string {
  return hashInputs({ step: 'entropy', version: STEP_CODE_VERSIONS.entropy, activations, entropy: spec.entropy } as unknown as JsonValue);
}

/** The key of one of the metrics step's artifacts (each kind under its own key). */
export function metricsArtifactKey(metrics: string, kind: MetricsKind): string {
  return hashInputs({ metrics, kind });
}

/** The key of the entropy step's `layer_entropy` artifact of a model's activations. */
export function entropyArtifactKey(activations: string, spec: PipelineSpec): string {
  return hashInputs({ entropy: entropyKey(activations, spec), kind: LAYER_ENTROPY.kind });
}

/** The key of the entropy step's per-sequence `entropy_sequences` artifact. */
export function entropySequencesKey(activations: string, spec: PipelineSpec): string {
  return hashInputs({ entropy: entropyKey(activations, spec), kind: 'entropy_sequences' });
}

/**
 * The lens step's artifacts (Queipo-de-Llano et al. 2025, Fig. 7): the LogitLens reads the model's
 * activations of the pipeline's dataset; multiple choice and probes run their own forward passes on
 * their own datasets, so their keys name the model's content and the dataset settings (the dataset
 * spec file's content enters through the Nx inputs and `datasetHash`). `null` = not asked for.
 */
export interface LensArtifactKeys {
  readonly logitLens: string | null;
  readonly multipleChoice: string | null;
  readonly probes: string | null;
}

export function lensArtifactKeys(input: { activations: string; modelHash: string; spec: PipelineSpec; taskHashes?: { multipleChoice?: string; probes?: string } }): LensArtifactKeys {
  const { activations, modelHash, spec } = input;
  const a = spec.analyses;
  const version = STEP_CODE_VERSIONS.lens;
  return {
    logitLens: a.logitLens ? hashInputs({ step: 'lens', version, kind: 'logit_lens', activations }) : null,
    multipleChoice: a.multipleChoice
      ? hashInputs({ step: 'lens', version, kind: 'multiple_choice', modelHash, task: a.multipleChoice, taskHash: input.taskHashes?.multipleChoice ?? null, bosPolicy: spec.bosPolicy, seqLen: spec.seqLen, engine: spec.engine } as unknown as JsonValue)
      : null,
    probes: a.probes
      ? hashInputs({ step: 'lens', version, kind: 'probes', modelHash, task: a.probes, taskHash: input.taskHashes?.probes ?? null, bosPolicy: spec.bosPolicy, seqLen: spec.seqLen, engine: spec.engine } as unknown as JsonValue)
      : null,
  };
}

/** The key of the report's joined `layers` table of a model. */
export function layersKey(metrics: string, entropyArtifact: string, logitLens: string | null = null): string {
  return hashInputs({ layers: [metrics, entropyArtifact, ...(logitLens ? [logitLens] : [])] });
}
