import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ArtifactMetadataInput, buildArtifactMetadata, readArtifactMetadata, validateArtifactMetadata } from './metadata.js';
import { packageVersions } from './versions.js';

const base: ArtifactMetadataInput = {
  kind: 'layers',
  specHash: 'a'.repeat(64),
  model: 'gpt2',
  dataset: 'wikitext-103/validation',
  bosPolicy: 'prepend-bos',
  engine: 'onnx',
  backend: 'cpu',
  versions: { 'onnxruntime-node': '1.30.0', 'apache-arrow': '21.2.0' },
  extra: { seq_len: 128, eps: 0.3 },
};

describe('buildArtifactMetadata', () => {
  it('writes every common key, the kind version and the extras, sorted, with canonical JSON values', () => {
    const meta = buildArtifactMetadata({ ...base, extra: { ...base.extra, weights: { b: 1, a: [0.5, true] }, note: 'raw text' } });
    expect([...meta]).toEqual([
      ['sinkscope.backend', 'cpu'],
      ['sinkscope.bos_policy', 'prepend-bos'],
      ['sinkscope.dataset', 'wikitext-103/validation'],
      ['sinkscope.engine', 'onnx'],
      ['sinkscope.eps', '0.3'],
      ['sinkscope.kind', 'layers'],
      ['sinkscope.model', 'gpt2'],
      ['sinkscope.note', 'raw text'],
      ['sinkscope.schema_version', '2'],
      ['sinkscope.seq_len', '128'],
      ['sinkscope.spec_hash', 'a'.repeat(64)],
      ['sinkscope.versions', '{"apache-arrow":"21.2.0","onnxruntime-node":"1.30.0"}'],
      ['sinkscope.weights', '{"a":[0.5,true],"b":1}'],
    ]);
  });

  it('reads back to the typed form', () => {
    const parsed = readArtifactMetadata(buildArtifactMetadata(base));
    // every common field as given, the kind's version filled in, extras as their stored strings
    expect(parsed).toEqual({ ...base, schemaVersion: 2, extra: { eps: '0.3', seq_len: '128' } });
  });

  it('names the field at fault', () => {
    expect(() => buildArtifactMetadata({ ...base, kind: 'hidden_states' })).toThrow("artifact metadata for kind 'hidden_states': schemaVersion is required");
    expect(() => buildArtifactMetadata({ ...base, schemaVersion: 1 })).toThrow("schemaVersion 1 differs from the declared version 2 of 'layers'");
    expect(() => buildArtifactMetadata({ ...base, model: '' })).toThrow('model must be a non-empty string');
    expect(() => buildArtifactMetadata({ ...base, versions: { x: 1 } as never })).toThrow("versions['x'] must be a string");
    expect(() => buildArtifactMetadata({ ...base, extra: { SeqLen: 1 } })).toThrow("extra key 'SeqLen' must be snake_case");
    expect(() => buildArtifactMetadata({ ...base, extra: { model: 'x' } })).toThrow("extra key 'model' is a common key");
    expect(() => buildArtifactMetadata({ ...base, extra: { eps: NaN } })).toThrow('$ is NaN');
  });
});

describe('validateArtifactMetadata', () => {
  it("requires the kind's own keys: seq_len and eps for tables, emergence_hidden_index for massive", () => {
    const massive = buildArtifactMetadata({ ...base, kind: 'massive' });
    expect(() => validateArtifactMetadata('massive', massive)).toThrow("artifact 'massive': metadata lacks sinkscope.emergence_hidden_index");
    const ok = buildArtifactMetadata({ ...base, kind: 'massive', extra: { ...base.extra, emergence_hidden_index: 2 } });
    expect(validateArtifactMetadata('massive', ok).extra.emergence_hidden_index).toBe('2');
    expect(() => validateArtifactMetadata('heads', buildArtifactMetadata({ ...base, kind: 'heads', extra: {} }))).toThrow(
      "artifact 'heads': metadata lacks sinkscope.seq_len, sinkscope.eps",
    );
  });

  it('checks the kind and the version against the artifact being written', () => {
    const meta = buildArtifactMetadata(base);
    expect(() => validateArtifactMetadata('heads', meta)).toThrow("artifact 'heads': metadata says sinkscope.kind = 'layers'");
    const stale = new Map(meta).set('sinkscope.schema_version', '0');
    expect(() => validateArtifactMetadata('layers', stale)).toThrow("sinkscope.schema_version = '0' is not a positive integer");
    const broken = new Map(meta).set('sinkscope.versions', '[1]');
    expect(() => validateArtifactMetadata('layers', broken)).toThrow('sinkscope.versions must be a JSON object of strings');
  });
});

describe('packageVersions', () => {
  it("reads installed packages' own package.json, plus the node version", () => {
    const require = createRequire(import.meta.url);
    const arrowDir = dirname(require.resolve('apache-arrow'));
    const expected = JSON.parse(readFileSync(join(arrowDir, 'package.json'), 'utf8')).version;
    const versions = packageVersions(['apache-arrow', 'parquet-wasm'], import.meta.dirname);
    expect(versions['apache-arrow']).toBe(expected);
    expect(versions['parquet-wasm']).toMatch(/^0\.8\./);
    expect(versions.node).toBe(process.version);
    expect(() => packageVersions(['no-such-package-xyz'], import.meta.dirname)).toThrow("package 'no-such-package-xyz' is not installed");
  });
});
