;; The SIMD kernel of finite-scan.ts: does memory [0, end) hold a non-finite value of a float dtype?
;; Compiled by packages/model-io/tools/write-finite-scan-wasm.ts into finite-scan-wasm.ts (a test
;; checks the two agree).
;;
;; Every IEEE format is non-finite exactly when its exponent bits are all ones, so
;; (bits & exponent mask) + lowest exponent bit carries into the value's top bit only then. The adds
;; are 64-bit lanes; no 32- or 16-bit value's sum exceeds its own width, so values sharing a lane never
;; carry into each other. F64 is tested as float32 would hold it: 0x47efffff_f0000000 is the smallest
;; magnitude Math.fround takes to infinity (halfway above FLT_MAX, ties to even), and the add is 2^63
;; minus it. `end` is a multiple of 64; the caller zero-pads to it (zero is finite in every format).
(module
  ;; 16 pages: one 1 MiB chunk (finite-scan.ts SCAN_CHUNK_BYTES); grown by the caller for larger chunks
  (memory (export "memory") 16)

  ;; OR of ((x & mask) + add) over four 16-byte loads per iteration; then any top bit set
  (func $anyTopBit (param $end i32) (param $mask v128) (param $add v128) (param $top v128) (result i32)
    (local $p i32)
    (local $acc v128)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $acc
          (v128.or
            (v128.or
              (v128.or (local.get $acc)
                (i64x2.add (v128.and (v128.load offset=0 (local.get $p)) (local.get $mask)) (local.get $add)))
              (i64x2.add (v128.and (v128.load offset=16 (local.get $p)) (local.get $mask)) (local.get $add)))
            (v128.or
              (i64x2.add (v128.and (v128.load offset=32 (local.get $p)) (local.get $mask)) (local.get $add))
              (i64x2.add (v128.and (v128.load offset=48 (local.get $p)) (local.get $mask)) (local.get $add)))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $next)))
    (v128.any_true (v128.and (local.get $acc) (local.get $top))))

  (func (export "F32") (param $end i32) (result i32)
    (call $anyTopBit (local.get $end)
      (v128.const i64x2 0x7f8000007f800000 0x7f8000007f800000)
      (v128.const i64x2 0x0080000000800000 0x0080000000800000)
      (v128.const i64x2 0x8000000080000000 0x8000000080000000)))

  (func (export "F16") (param $end i32) (result i32)
    (call $anyTopBit (local.get $end)
      (v128.const i64x2 0x7c007c007c007c00 0x7c007c007c007c00)
      (v128.const i64x2 0x0400040004000400 0x0400040004000400)
      (v128.const i64x2 0x8000800080008000 0x8000800080008000)))

  (func (export "BF16") (param $end i32) (result i32)
    (call $anyTopBit (local.get $end)
      (v128.const i64x2 0x7f807f807f807f80 0x7f807f807f807f80)
      (v128.const i64x2 0x0080008000800080 0x0080008000800080)
      (v128.const i64x2 0x8000800080008000 0x8000800080008000)))

  (func (export "F64") (param $end i32) (result i32)
    (call $anyTopBit (local.get $end)
      (v128.const i64x2 0x7fffffffffffffff 0x7fffffffffffffff)
      (v128.const i64x2 0x3810000010000000 0x3810000010000000)
      (v128.const i64x2 0x8000000000000000 0x8000000000000000)))
)
