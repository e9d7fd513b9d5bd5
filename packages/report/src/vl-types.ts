// The one place that reaches into vega-lite's unstable type paths, so a vega-lite upgrade that moves
// them touches only this file. Vega-Lite's TypeScript types are the source its JSON Schema is
// generated from, so specs typed against them are checked at compile time as well as by the schema.
export type { Config, TopLevelSpec } from 'vega-lite';
export type { Field } from 'vega-lite/types_unstable/channeldef.js';
export type { ExprRef } from 'vega-lite/types_unstable/expr.js';
export type { SignalRef } from 'vega';
export type { TitleParams } from 'vega-lite/types_unstable/title.js';
export type { Transform } from 'vega-lite/types_unstable/transform.js';
export type {
  FacetedUnitSpec,
  LayerSpec,
  NonNormalizedSpec,
  UnitSpec,
} from 'vega-lite/types_unstable/spec/index.js';
export type { ColorDef, PositionDef } from 'vega-lite/types_unstable/channeldef.js';
export type { Encoding } from 'vega-lite/types_unstable/encoding.js';
