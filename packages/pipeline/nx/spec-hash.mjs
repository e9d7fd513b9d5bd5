#!/usr/bin/env node
// @ts-check
// Nx runtime input: a hash of what a pipeline spec says about results, for one model (a model project's
// tasks) or for all. The launch fields (launcher, slurm; see src/spec/cache-view.ts) are left out, so a
// result computed on a Slurm cluster is a cache hit on a laptop and back; for one model, the other
// models and the report-only fields are left out, so adding a model to a sweep recomputes only its tasks.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { readRawSpec } from './read-spec.mjs';

const LAUNCH_FIELDS = ['launcher', 'slurm'];
const REPORT_ONLY_FIELDS = ['description', 'figures'];

/** JSON with sorted keys, so key order in the file does not change the hash. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => value[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const [specArg, model] = process.argv.slice(2);
const file = resolve(specArg);
const spec = readRawSpec(file);
let view;
if (!spec) view = { unreadable: file };
else {
  const { $schema: _schema, ...rest } = spec;
  view = rest;
  for (const f of LAUNCH_FIELDS) delete view[f];
  if (model !== undefined) {
    for (const f of REPORT_ONLY_FIELDS) delete view[f];
    view.models = (Array.isArray(spec.models) ? spec.models : []).filter((m) => m?.name === model);
  }
}
process.stdout.write(createHash('sha256').update(canonical(view)).digest('hex'));
