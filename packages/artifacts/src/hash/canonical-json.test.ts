import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { hashInputs, isSha256Hex } from './hash-inputs.js';

describe('canonicalJson', () => {
  const value = { k: 'tab\there', b: { 'é': 'ü', z: 1e21 }, a: [1, 'x', true, null, { d: -5e-7, c: 0.1 }], gone: undefined };
  // Written by hand from the rules; its SHA-256 was computed with Python's hashlib.
  const expectedText = '{"a":[1,"x",true,null,{"c":0.1,"d":-5e-7}],"b":{"z":1e+21,"é":"ü"},"k":"tab\\there"}';

  it('sorts keys by UTF-16 code unit, drops undefined properties, writes numbers as JSON does', () => {
    expect(canonicalJson(value)).toBe(expectedText);
  });

  it('hashInputs is the SHA-256 of that text', () => {
    expect(hashInputs(value)).toBe('b01083ccb799278a1e9e077a0b6c4e71b055d25220a992add0e1a26a01589d74');
    expect(isSha256Hex(hashInputs(value))).toBe(true);
  });

  it('does not depend on key insertion order or on undefined properties', () => {
    expect(hashInputs({ x: 1, y: [2, 3] })).toBe(hashInputs({ y: [2, 3], x: 1, z: undefined }));
    expect(hashInputs({ x: 1 })).not.toBe(hashInputs({ x: 1.0000001 }));
    expect(hashInputs([1, 2])).not.toBe(hashInputs([2, 1]));
  });

  it('writes -0 as 0, integer-like keys in sorted string order, Dates via toJSON', () => {
    expect(canonicalJson({ 10: 'a', 9: 'b', '-1': 'c' })).toBe('{"-1":"c","10":"a","9":"b"}');
    expect(canonicalJson(-0)).toBe('0');
    expect(canonicalJson(new Date(Date.UTC(2025, 0, 2)))).toBe('"2025-01-02T00:00:00.000Z"');
    expect(canonicalJson(Object.create(null) as object)).toBe('{}');
  });

  it('rejects what JSON would silently change, naming the path', () => {
    expect(() => canonicalJson({ a: { eps: NaN } })).toThrow('$.a.eps is NaN');
    expect(() => canonicalJson({ a: [1, Infinity] })).toThrow('$.a[1] is Infinity');
    expect(() => canonicalJson({ a: [1, undefined] })).toThrow('$.a[1] is undefined');
    expect(() => canonicalJson({ n: 1n })).toThrow('$.n is a bigint');
    expect(() => canonicalJson({ m: new Map() })).toThrow('$.m is a Map');
    expect(() => canonicalJson({ w: new Float32Array(2) })).toThrow('$.w is a Float32Array');
    expect(() => canonicalJson({ f: () => 1 })).toThrow('$.f is a function');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = { back: cyclic };
    expect(() => canonicalJson(cyclic)).toThrow('$.self.back refers back');
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { a: 1 };
    expect(canonicalJson({ x: shared, y: shared })).toBe('{"x":{"a":1},"y":{"a":1}}');
  });
});
