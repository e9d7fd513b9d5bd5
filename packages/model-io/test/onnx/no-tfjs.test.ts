import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Every module specifier one file imports or re-exports (type-only imports are erased: left out). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)) if (!m[2]) out.push(m[3]);
  for (const m of text.matchAll(/import\(\s*(?:\/\*[^*]*\*\/\s*)?'([^']+)'\s*\)/g)) out.push(m[1]);
  return out;
}

/** The packages a module loads, following its relative imports through the source tree. */
function packagesReached(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of imports(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  };
  visit(entry);
  return packages;
}

describe('engine folders hold only their engine', () => {
  it('the onnx engine index loads onnxruntime-node and never tfjs (bench/extract.ts imports it)', () => {
    const reached = packagesReached(resolve(SRC, 'engines/onnx/index.ts'));
    expect(reached).toContain('onnxruntime-node');
    expect([...reached].filter((p) => p.startsWith('@tensorflow/'))).toEqual([]);
  });

  it('the tfjs engine never loads onnxruntime-node', () => {
    const reached = packagesReached(resolve(SRC, 'engines/tfjs/tfjs-model.ts'));
    expect(reached).toContain('@tensorflow/tfjs');
    expect(reached).not.toContain('onnxruntime-node');
  });
});
