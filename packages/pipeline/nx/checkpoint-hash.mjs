#!/usr/bin/env node
// Prints a content hash of every checkpoint folder a pipeline spec names, for Nx's `runtime` input.
// Files are hashed with sha256 once and remembered by (path, size, mtime) in .sinkscope/file-hashes.json,
// so a multi-GB checkpoint is read only when it changes.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const specFile = resolve(repoRoot, process.argv[2]);
const spec = parse(readFileSync(specFile, 'utf8'));
const cacheFile = join(repoRoot, '.sinkscope', 'file-hashes.json');
const cache = existsSync(cacheFile) ? JSON.parse(readFileSync(cacheFile, 'utf8')) : {};

async function hashFile(path) {
  const st = statSync(path);
  const key = `${path}|${st.size}|${st.mtimeMs}`;
  if (cache[key]) return cache[key];
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk);
  return (cache[key] = h.digest('hex'));
}

const lines = [];
for (const model of spec.models ?? []) {
  const dir = model.path === 'default' ? join(repoRoot, 'packages/train/default-model') : resolve(repoRoot, model.path);
  if (!existsSync(dir)) {
    lines.push(`${model.name}: missing ${dir}`);
    continue;
  }
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isFile() && /\.(json|safetensors)$/.test(f)) lines.push(`${model.name}/${f}: ${await hashFile(p)}`);
  }
}
mkdirSync(dirname(cacheFile), { recursive: true });
writeFileSync(cacheFile, JSON.stringify(cache));
process.stdout.write(createHash('sha256').update(lines.join('\n')).digest('hex'));
