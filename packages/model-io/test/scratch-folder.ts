import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { fixtureDir } from './fixtures.js';

/** A fresh temporary folder for each test of the file, removed after it. */
export function scratchFolder(prefix: string): { readonly path: (name: string) => string; copyFixture(name: string): string } {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return {
    path: (name) => join(dir, name),
    /** A copy of a fixture checkpoint whose files the test may corrupt. */
    copyFixture(name) {
      const out = join(dir, name);
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out);
      for (const f of readdirSync(fixtureDir(name))) copyFileSync(join(fixtureDir(name), f), join(out, f));
      return out;
    },
  };
}

/** A safetensors file written byte by byte: the 8-byte little-endian header length, the header text, the data. */
export function writeRawSafetensors(path: string, header: string, data: Buffer): void {
  const json = Buffer.from(header);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([len, json, data]));
}
