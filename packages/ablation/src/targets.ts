import type { ArchSpec, HookName } from '@sinkscope/model-io';
import { ABLATION_HOOK_KINDS, type AblationHookKind, type AblationSpec } from './schema.js';

// Where an ablation acts in a model: its hook at a block, the first hidden state it can change, and
// the checks against the model that come before any forward pass.

/** Hook kinds this architecture has (`hook_resid_mid` exists only with a sequential residual). */
export function hookKindsOf(arch: ArchSpec): AblationHookKind[] {
  return ABLATION_HOOK_KINDS.filter((k) => k !== 'hook_resid_mid' || arch.residual === 'sequential');
}

/**
 * Model-dependent checks before any work: the hook kind exists in this architecture, explicit layers
 * are blocks of the model, set-dims dims and add-direction widths fit d_model.
 */
export function checkAgainstModel(spec: AblationSpec, arch: ArchSpec, where: string): void {
  const kinds = hookKindsOf(arch);
  if (!kinds.includes(spec.hook)) {
    throw new Error(`${where}: hook '${spec.hook}' does not exist in this ${arch.modelType} model (${arch.residual} residual; valid: ${kinds.join(', ')})`);
  }
  if (spec.layers !== 'auto') {
    for (const l of spec.layers) {
      if (l >= arch.nLayers) throw new Error(`${where}: field 'layers' names block ${l}, but this ${arch.modelType} model has blocks 0..${arch.nLayers - 1}`);
    }
  }
  if (spec.kind === 'set-dims' && spec.dims !== 'massive') {
    spec.dims.forEach((d, i) => {
      if (d >= arch.dModel) throw new Error(`${where}: field 'dims[${i}]' = ${d} is outside 0..${arch.dModel - 1} (d_model ${arch.dModel})`);
    });
  }
  if (spec.kind === 'add-direction' && spec.direction.length !== arch.dModel) {
    throw new Error(`${where}: field 'direction' has ${spec.direction.length} values but d_model is ${arch.dModel}`);
  }
}

/** The concrete hook of a hook kind at a block. */
export function blockHook(kind: AblationHookKind, layer: number): HookName {
  return `blocks.${layer}.${kind}`;
}

/**
 * First hidden-state index (transformers convention) an intervention at (kind, layer) can change:
 * `hook_resid_pre` of block l is hidden state l; every other kind acts inside block l, whose output
 * is hidden state l + 1. Attention layers a >= this index are the downstream ones.
 */
export function firstAffectedHiddenIndex(kind: AblationHookKind, layer: number): number {
  return kind === 'hook_resid_pre' ? layer : layer + 1;
}
