// Validation of Vega-Lite specs against vega-lite's own JSON Schema (for hand-edited .vl.json files
// and for tests of the builders).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';

let validator: ValidateFunction | undefined;

/** Compiles the schema once (about a second: it is 1.9 MB). */
function schemaValidator(): ValidateFunction {
  if (validator === undefined) {
    const path = createRequire(import.meta.url).resolve('vega-lite/vega-lite-schema.json');
    const schema = JSON.parse(readFileSync(path, 'utf8')) as object;
    // The schema uses union types and keywords ajv's strict mode rejects; these are the settings
    // vega-lite's own schema tests use.
    const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: false, verbose: false });
    ajv.addFormat('color-hex', /^#([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/);
    ajv.addFormat('uri', true); // only `$schema` and data URLs use these; any string is fine here
    ajv.addFormat('uri-reference', true);
    validator = ajv.compile(schema);
  }
  return validator;
}

/** Errors of `spec` against the Vega-Lite JSON Schema as 'path: message' lines; empty when valid. */
export function vegaLiteSchemaErrors(spec: unknown): string[] {
  const validate = schemaValidator();
  if (validate(spec)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
}
