// Property-based: broken safetensors files (headers and bodies) always end in one user-facing line
// naming the file and the tensor (or the header part) at fault, from opening the checkpoint through
// reading every weight the forward pass uses: what `sinkscope inspect/extract/measure` and every
// pipeline step do before any work.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { firstDuplicateKey, SafetensorsFile } from '../../src/index.js';
import { expectUserFacingError, fuzzParameters, loadError, TINY_CONFIGS, writeTinyCheckpoint } from './tiny-checkpoint.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-fuzz-st-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Entry = { dtype: unknown; shape: unknown; data_offsets: unknown };
interface Parsed {
  header: Record<string, Entry>;
  data: Buffer;
}

function parse(bytes: Buffer): Parsed {
  const n = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, Entry>, data: bytes.subarray(8 + n) };
}

function assemble(headerText: string, data: Buffer): Buffer {
  const json = Buffer.from(headerText, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

const DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'];

/** Values a header field should never accept (anything JSON can hold). */
const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.string({ maxLength: 6 }),
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.array(fc.oneof(fc.integer({ min: -3, max: 40 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 2 })), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);

/** One way to break a valid file; `apply` returns the new bytes and what the error must name. */
type Mutation = (base: Parsed, names: string[]) => { bytes: Buffer; expect: string[]; label: string; mayBeValid?: boolean };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // random bytes: a whole file of them, or random bytes after a plausible header length
  fc.uint8Array({ maxLength: 300 }).map<Mutation>((b) => () => ({ bytes: Buffer.from(b), expect: ['header', 'too short'], label: `random ${b.length} bytes` })),
  fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.uint8Array({ maxLength: 200 })).map<Mutation>(([n, b]) => () => {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(n);
    return { bytes: Buffer.concat([len, Buffer.from(b)]), expect: ['header'], label: `header length ${n} + ${b.length} random bytes` };
  }),
  // truncated anywhere (header or data)
  fc.double({ min: 0, max: 0.9999, noNaN: true }).map<Mutation>((f) => (base) => {
    const full = assemble(JSON.stringify(base.header), base.data);
    const at = Math.floor(f * full.length);
    return { bytes: full.subarray(0, at), expect: ['header', 'tensor \'', 'too short'], label: `truncated at ${at} of ${full.length}` };
  }),
  // one tensor's offsets moved onto another's bytes (same length), or shifted past the end
  fc.tuple(fc.nat(), fc.nat(), fc.boolean()).map<Mutation>(([i, j, overlapStart]) => (base, names) => {
    const a = names[i % names.length];
    let b = names[j % names.length];
    if (b === a) b = names[(j + 1) % names.length];
    const h = structuredClone(base.header);
    const [aBegin, aEnd] = h[a].data_offsets as number[];
    const [bBegin, bEnd] = h[b].data_offsets as number[];
    const length = bEnd - bBegin;
    const begin = Math.max(0, Math.min(overlapStart ? aBegin : aEnd - 1, base.data.length - length));
    h[b].data_offsets = [begin, begin + length];
    // moving b may leave it exactly where it was (a shared boundary): then it is still valid
    const still = begin === bBegin || begin + length <= aBegin || begin >= aEnd;
    return { bytes: assemble(JSON.stringify(h), base.data), expect: [`tensor '${a}'`, `tensor '${b}'`], label: `${b} moved over ${a} [${aBegin}, ${aEnd})`, mayBeValid: still };
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 1 << 20 })).map<Mutation>(([i, delta]) => (base, names) => {
    const t = names[i % names.length];
    const h = structuredClone(base.header);
    const [begin, end] = h[t].data_offsets as number[];
    h[t].data_offsets = [begin + base.data.length + delta - 1, end + base.data.length + delta - 1];
    return { bytes: assemble(JSON.stringify(h), base.data), expect: [`tensor '${t}'`], label: `${t} offsets past the end` };
  }),
  // dtype, shape or byte count that disagree
  fc.tuple(fc.nat(), fc.constantFrom(...DTYPES)).map<Mutation>(([i, dtype]) => (base, names) => {
    const t = names[i % names.length];
    const h = structuredClone(base.header);
    h[t].dtype = dtype === 'F32' ? 'I32' : dtype;
    return { bytes: assemble(JSON.stringify(h), base.data), expect: [`tensor '${t}'`], label: `${t} dtype ${String(h[t].dtype)}` };
  }),
  fc.tuple(fc.nat(), fc.array(fc.integer({ min: 0, max: 70 }), { maxLength: 4 })).map<Mutation>(([i, shape]) => (base, names) => {
    const t = names[i % names.length];
    const h = structuredClone(base.header);
    const same = JSON.stringify(shape) === JSON.stringify(h[t].shape);
    h[t].shape = same ? [...shape, 2] : shape;
    return { bytes: assemble(JSON.stringify(h), base.data), expect: [`tensor '${t}'`], label: `${t} shape ${JSON.stringify(h[t].shape)}` };
  }),
  fc.tuple(fc.nat(), fc.integer({ min: -64, max: 64 }).filter((d) => d !== 0)).map<Mutation>(([i, delta]) => (base, names) => {
    const t = names[i % names.length];
    const h = structuredClone(base.header);
    const [begin, end] = h[t].data_offsets as number[];
    h[t].data_offsets = [begin, Math.max(0, end + delta)];
    return { bytes: assemble(JSON.stringify(h), base.data), expect: [`tensor '${t}'`], label: `${t} byte count off by ${delta}` };
  }),
  // a field of an entry (or the metadata) replaced by junk
  fc.tuple(fc.nat(), fc.constantFrom('dtype', 'shape', 'data_offsets', 'entry', 'metadata'), junk).map<Mutation>(([i, field, value]) => (base, names) => {
    const t = names[i % names.length];
    const h = structuredClone(base.header) as Record<string, unknown>;
    if (field === 'metadata') {
      h.__metadata__ = value;
      const ok = value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
      return { bytes: assemble(JSON.stringify(h), base.data), expect: ['__metadata__'], label: `__metadata__ = ${JSON.stringify(value)}`, mayBeValid: ok };
    }
    if (field === 'entry') h[t] = value;
    else (h[t] as Record<string, unknown>)[field] = value;
    return { bytes: assemble(JSON.stringify(h), base.data), expect: [`tensor '${t}'`], label: `${t}.${field} = ${JSON.stringify(value)}` };
  }),
  // a duplicate name in the header JSON (JSON.parse would keep the last one silently)
  fc.tuple(fc.nat(), fc.nat()).map<Mutation>(([i, j]) => (base, names) => {
    const t = names[i % names.length];
    const other = names[j % names.length];
    const entries = Object.entries(base.header).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    entries.splice(j % entries.length, 0, `${JSON.stringify(t)}:${JSON.stringify(base.header[other])}`);
    return { bytes: assemble(`{${entries.join(',')}}`, base.data), expect: [`tensor '${t}'`], label: `duplicate ${t}` };
  }),
  // NaN or infinity stored in a weight
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity)).map<Mutation>(([i, k, value]) => (base, names) => {
    const t = names[i % names.length];
    const [begin, end] = base.header[t].data_offsets as number[];
    const data = Buffer.from(base.data);
    data.writeFloatLE(value, begin + 4 * (k % ((end - begin) / 4)));
    return { bytes: assemble(JSON.stringify(base.header), data), expect: [`tensor '${t}'`], label: `${value} in ${t}` };
  }),
  // random bytes over part of the data: either still finite weights (valid) or a non-finite one named
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.uint8Array({ minLength: 1, maxLength: 64 })).map<Mutation>(([f, junkBytes]) => (base) => {
    const data = Buffer.from(base.data);
    const at = Math.floor(f * Math.max(0, data.length - junkBytes.length));
    data.set(junkBytes, at);
    return { bytes: assemble(JSON.stringify(base.header), data), expect: ['tensor \''], label: `${junkBytes.length} random bytes at data offset ${at}`, mayBeValid: true };
  }),
);

describe('what the fuzzer found (fixed): overlapping offsets and duplicate names', () => {
  const dir = writeTinyCheckpoint(join(tmp, 'examples'), 'gpt2', { tokenizer: false });
  const file = join(dir, 'model.safetensors');
  const base = parse(readFileSync(file));

  it('a tensor whose bytes overlap another\'s is refused, naming both', () => {
    const h = structuredClone(base.header);
    h['transformer.h.0.ln_1.bias'].data_offsets = (h['transformer.h.0.ln_1.weight'].data_offsets as number[]).slice();
    writeFileSync(file, assemble(JSON.stringify(h), base.data));
    const [b, e] = h['transformer.h.0.ln_1.weight'].data_offsets as number[];
    expect(() => SafetensorsFile.open(file)).toThrow(
      `${file}: tensor 'transformer.h.0.ln_1.bias': data_offsets [${b}, ${e}] overlap those of tensor 'transformer.h.0.ln_1.weight' [${b}, ${e}]`,
    );
  });

  it('a name listed twice is refused (JSON.parse would keep the last silently)', () => {
    const text = JSON.stringify(base.header).replace(/^\{/, `{"transformer.wte.weight":${JSON.stringify(base.header['transformer.wpe.weight'])},`);
    writeFileSync(file, assemble(text, base.data));
    expect(() => SafetensorsFile.open(file)).toThrow(`${file}: tensor 'transformer.wte.weight': is listed twice in the header`);
    expect(firstDuplicateKey('{"a":{"a":1,"b":[{"a":2}]},"b":"a","c":"\\"a\\""}')).toBeUndefined();
    expect(firstDuplicateKey('{"a":{"x":1},"b":2,"a":3}')).toBe('a');
    expect(firstDuplicateKey('{"\\u0061":1,"a":2}')).toBe('a');
  });
});

describe.each(Object.keys(TINY_CONFIGS))('fuzzed safetensors (%s)', (family) => {
  const dir = writeTinyCheckpoint(join(tmp, family), family, { tokenizer: false });
  const file = join(dir, 'model.safetensors');
  const original = readFileSync(file);
  const base = parse(original);
  const names = Object.keys(base.header).filter((k) => k !== '__metadata__');

  it('every broken file is one line naming the file and the tensor or header part at fault', () => {
    let failures = 0;
    let valid = 0;
    fc.assert(
      fc.property(mutation, (m) => {
        const { bytes, expect: mustName, label, mayBeValid } = m(base, names);
        writeFileSync(file, bytes);
        const error = loadError(dir);
        if (error === undefined) {
          expect(mayBeValid, `${label}: loaded without an error`).toBe(true);
          valid += 1;
          return;
        }
        failures += 1;
        expectUserFacingError(error, file, mustName, label);
      }),
      fuzzParameters(1000, Object.keys(TINY_CONFIGS).indexOf(family)),
    );
    writeFileSync(file, original);
    expect(failures).toBeGreaterThan(800); // nearly every case is broken on purpose
    console.log(`safetensors fuzz (${family}): ${failures} errors, ${valid} still-valid files`);
  });
});
