import type { ModelConfig } from '../model/config.js';
import { parameterSpecs, type ParamSpec } from '../model/params.js';
import { weightDecayOf, type AdamWConfig } from '../optim/adamw.js';

/** One parameter's place in the flat buffers (parameters, AdamW moments, gradients). */
export interface ParamSlot {
  readonly spec: ParamSpec;
  /** Offset in floats. */
  readonly offset: number;
  readonly size: number;
}

/** A contiguous run of the flat buffers that AdamW treats alike (torch's parameter groups): one weight-decay coefficient. */
export interface ParamGroup {
  /** `decay` (then `decay_2`, ...) for each weight-decay coefficient above 0 in order of first use; `plain` for none. */
  readonly name: string;
  readonly weightDecay: number;
  readonly offset: number;
  readonly size: number;
}

/**
 * Every trainable tensor of a model in one flat float32 vector, grouped by weight decay (the
 * decayed tensors first, each group in `parameterSpecs` order; the recipe has two groups, decayed
 * matrices and embeddings, then the rest). The optimizer updates each group with a dozen
 * elementwise ops instead of a dozen per tensor, and each weight is fed to the forward pass as a
 * view into the vector (no copies).
 */
export class ParamLayout {
  /** Every parameter in `parameterSpecs` order (the init's draw order). */
  readonly specs: readonly ParamSpec[];
  /** Every parameter in buffer order. */
  readonly slots: readonly ParamSlot[];
  readonly groups: readonly ParamGroup[];
  /** Total floats. */
  readonly size: number;

  constructor(config: ModelConfig, initStd: number, optimizer: AdamWConfig) {
    this.specs = parameterSpecs(config, initStd);
    const decayOf = (spec: ParamSpec) => weightDecayOf(spec.name, spec.shape, optimizer);
    const values = [...new Set(this.specs.map(decayOf).filter((wd) => wd > 0)), 0];
    let offset = 0;
    const slots: ParamSlot[] = [];
    const groups: ParamGroup[] = [];
    values.forEach((weightDecay, i) => {
      const start = offset;
      for (const spec of this.specs.filter((s) => decayOf(s) === weightDecay)) {
        const size = spec.shape.reduce((a, b) => a * b, 1);
        slots.push({ spec, offset, size });
        offset += size;
      }
      const name = weightDecay === 0 ? 'plain' : i === 0 ? 'decay' : `decay_${i + 1}`;
      if (offset > start) groups.push({ name, weightDecay, offset: start, size: offset - start });
    });
    this.slots = slots;
    this.groups = groups;
    this.size = offset;
  }

  /** Copy named host values into a flat buffer; every parameter must be present with its size. */
  pack(values: ReadonlyMap<string, Float32Array>, into: Float32Array, where: string): void {
    for (const { spec, offset, size } of this.slots) {
      const v = values.get(spec.name);
      if (!v) throw new Error(`${where}: missing tensor '${spec.name}'`);
      if (v.length !== size) throw new Error(`${where}: tensor '${spec.name}' has ${v.length} values, expected shape [${spec.shape.join(', ')}]`);
      into.set(v, offset);
    }
  }

  /** Named copies out of a flat buffer, in `parameterSpecs` order. */
  unpack(flat: Float32Array): Map<string, Float32Array> {
    const bySpec = new Map(this.slots.map((s) => [s.spec.name, s]));
    return new Map(
      this.specs.map((spec) => {
        const { offset, size } = bySpec.get(spec.name)!;
        return [spec.name, flat.slice(offset, offset + size)];
      }),
    );
  }
}
