;; Bulk float conversions with WebAssembly SIMD (v128). Source of convert-wasm.generated.ts:
;; edit this file, then run `pnpm gen:wasm`. Driven by wasm-engine.ts.
;;
;; Each kernel is one loop over 4 elements at a time: (src, dst) are byte addresses in this
;; module's memory and n is an element count the caller has rounded up to a multiple of 4 (the
;; chunk buffers are padded; extra lanes read stale memory and are never copied out).
;; Why one loop per conversion step, with the bit tricks written inline and no helper
;; functions: V8 (Node 20) does not inline wasm calls, and a call per vector halves the speed.
;; Composite conversions (f64 -> half, fp32 -> fp16 -> fp32) run two or three passes over a
;; chunk that stays in cache.
(module
  ;; 4 pages = 256 KiB; the regions (input, middle, output) are laid out by wasm-engine.ts.
  (memory (export "memory") 4)

  ;; fp32 bits -> bf16 bits, round to nearest even: add 0x7fff plus the lowest kept bit, then
  ;; drop the low 16 bits. Overflow carries into the exponent and lands exactly on inf (0x7f80).
  ;; NaN lanes become the quiet NaN 0x7fc0 with the input's sign (the add could make them inf).
  (func (export "f32_to_bf16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $x v128) (local $hi v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (local.set $x (v128.load (local.get $src)))
        (local.set $hi (i32x4.shr_u (local.get $x) (i32.const 16)))
        (local.set $x
          (v128.bitselect
            (v128.or
              (v128.and (local.get $hi) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
              (v128.const i32x4 0x7fc0 0x7fc0 0x7fc0 0x7fc0))
            (i32x4.shr_u
              (i32x4.add
                (i32x4.add (local.get $x) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff))
                (v128.and (local.get $hi) (v128.const i32x4 1 1 1 1)))
              (i32.const 16))
            (f32x4.ne (local.get $x) (local.get $x))))
        (v128.store64_lane 0 (local.get $dst) (i16x8.narrow_i32x4_u (local.get $x) (local.get $x)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))

  ;; fp32 -> fp32 holding the bf16-rounded value (same rounding as above, low half cleared).
  (func (export "f32_round_bf16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $x v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (local.set $x (v128.load (local.get $src)))
        (v128.store (local.get $dst)
          (v128.bitselect
            (v128.or
              (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
              (v128.const i32x4 0x7fc00000 0x7fc00000 0x7fc00000 0x7fc00000))
            (v128.and
              (i32x4.add
                (i32x4.add (local.get $x) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff))
                (v128.and (i32x4.shr_u (local.get $x) (i32.const 16)) (v128.const i32x4 1 1 1 1)))
              (v128.const i32x4 0xffff0000 0xffff0000 0xffff0000 0xffff0000))
            (f32x4.ne (local.get $x) (local.get $x))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))

  ;; fp32 bits -> fp16 bits, round to nearest even, done by the FPU's own rounding:
  ;; base = |x| * 2^112 * 2^-110 is |x| * 4, except that it overflows to inf for |x| >= 2^16.
  ;; With E the exponent of x clamped below at -14 (fp16's normal minimum), the float
  ;; 2^(E+15) has an fp32 ulp of 2^(E-8) = 4 * 2^(E-10), one fp16 ulp of x scaled by 4, so
  ;; sum = 2^(E+15) + base is rounded once, RNE, exactly where fp16 rounds x. In the sum's bits
  ;; the exponent field's low 5 bits are (E+14) mod 32 and the low 12 mantissa bits hold
  ;; 2^10 + the fp16 mantissa (a rounding carry reaches bit 11), so adding the two fields gives
  ;; (E+15) << 10 + mantissa: the fp16 pattern, exponent carry and overflow to 0x7c00 included.
  ;; Below 2^-14 the clamp makes the sum's mantissa the subnormal mantissa directly.
  ;; NaN lanes become 0x7e00 (quiet) with the input's sign.
  (func (export "f32_to_f16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $x v128) (local $sum v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (local.set $x (v128.load (local.get $src)))
        (local.set $sum
          (f32x4.add
            (i32x4.add
              (i32x4.shr_u
                (i32x4.max_u
                  (v128.and
                    (i32x4.add (local.get $x) (local.get $x))
                    (v128.const i32x4 0xff000000 0xff000000 0xff000000 0xff000000))
                  (v128.const i32x4 0x71000000 0x71000000 0x71000000 0x71000000))
                (i32.const 1))
              (v128.const i32x4 0x07800000 0x07800000 0x07800000 0x07800000))
            (f32x4.mul
              (f32x4.mul
                (f32x4.abs (local.get $x))
                (v128.const f32x4 0x1p+112 0x1p+112 0x1p+112 0x1p+112))
              (v128.const f32x4 0x1p-110 0x1p-110 0x1p-110 0x1p-110))))
        (local.set $sum
          (v128.or
            (v128.and
              (i32x4.shr_u (local.get $x) (i32.const 16))
              (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
            (v128.bitselect
              (v128.const i32x4 0x7e00 0x7e00 0x7e00 0x7e00)
              (i32x4.add
                (v128.and
                  (i32x4.shr_u (local.get $sum) (i32.const 13))
                  (v128.const i32x4 0x7c00 0x7c00 0x7c00 0x7c00))
                (v128.and (local.get $sum) (v128.const i32x4 0x0fff 0x0fff 0x0fff 0x0fff)))
              (f32x4.ne (local.get $x) (local.get $x)))))
        (v128.store64_lane 0 (local.get $dst)
          (i16x8.narrow_i32x4_u (local.get $sum) (local.get $sum)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))

  ;; bf16 -> fp32: a pure 16-bit shift (a signalling NaN stays signalling, as in torch).
  (func (export "bf16_to_f32") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 1))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (v128.store (local.get $dst)
          (i32x4.shl (v128.load16x4_u (local.get $src)) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 8)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))

  ;; fp16 -> fp32, exact. Normal, inf and NaN: put exponent+mantissa in fp32 position, add 224
  ;; to the exponent (31 becomes 255) and multiply by 2^-112 (net rebias +112); inf stays inf
  ;; and NaN comes out quiet (the multiply quiets it; x86 keeps the payload: 0x7c01 ->
  ;; 0x7fc02000, like F16C). Subnormal m: m placed under the exponent of 0.5 reads as
  ;; 0.5 + m * 2^-24, and minus 0.5 leaves m * 2^-24 exactly.
  (func (export "f16_to_f32") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $w v128) (local $two v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 1))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (local.set $w (i32x4.shl (v128.load16x4_u (local.get $src)) (i32.const 16)))
        (local.set $two (i32x4.add (local.get $w) (local.get $w)))
        (v128.store (local.get $dst)
          (v128.or
            (v128.and
              (local.get $w)
              (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
            (v128.bitselect
              (f32x4.sub
                (v128.or
                  (i32x4.shr_u (local.get $two) (i32.const 17))
                  (v128.const i32x4 0x3f000000 0x3f000000 0x3f000000 0x3f000000))
                (v128.const f32x4 0.5 0.5 0.5 0.5))
              (f32x4.mul
                (i32x4.add
                  (i32x4.shr_u (local.get $two) (i32.const 4))
                  (v128.const i32x4 0x70000000 0x70000000 0x70000000 0x70000000))
                (v128.const f32x4 0x1p-112 0x1p-112 0x1p-112 0x1p-112))
              (i32x4.lt_u
                (local.get $two)
                (v128.const i32x4 0x08000000 0x08000000 0x08000000 0x08000000)))))
        (local.set $src (i32.add (local.get $src) (i32.const 8)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))

  ;; f64 -> fp32 bits rounded to ODD: truncate toward zero, then set the last bit if anything
  ;; was dropped. Rounding a round-to-odd value that has at least 2 more bits than the target
  ;; (fp32 keeps 24, the halves 8 and 11; in fp32's subnormal range its grid is still 2^16 times
  ;; finer than bf16's) gives the same result as rounding the double directly (Boldo &
  ;; Melquiond), so f64 -> odd fp32 -> half is ONE rounding, unlike f64 -> RNE fp32 -> half.
  ;; Truncation comes from the RNE demote: if it went up in magnitude, step back one ulp. A
  ;; demote to inf steps back to 0x7f7fffff, which both halves still round to inf.
  ;; NaN lanes are rebuilt from the double's sign (wasm leaves the sign of NaN results open).
  (func (export "f64_to_f32_odd") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $a v128) (local $b v128) (local $ba v128) (local $bb v128)
    (local $fa v128) (local $fb v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (local.set $a (v128.load (local.get $src)))
        (local.set $b (v128.load offset=16 (local.get $src)))
        (local.set $fa (f32x4.demote_f64x2_zero (local.get $a)))
        (local.set $fb (f32x4.demote_f64x2_zero (local.get $b)))
        (local.set $ba (f64x2.promote_low_f32x4 (local.get $fa)))
        (local.set $bb (f64x2.promote_low_f32x4 (local.get $fb)))
        ;; lanes [a0 a1 b0 b1]; the i64 masks are narrowed by taking the low word of each
        (v128.store (local.get $dst)
          (v128.bitselect
            (v128.or
              (v128.and
                (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b))
                (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
              (v128.const i32x4 0x7fc00000 0x7fc00000 0x7fc00000 0x7fc00000))
            (v128.or
              (i32x4.add
                (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $fa) (local.get $fb))
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                  (f64x2.gt (f64x2.abs (local.get $ba)) (f64x2.abs (local.get $a)))
                  (f64x2.gt (f64x2.abs (local.get $bb)) (f64x2.abs (local.get $b)))))
              (v128.and
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                  (f64x2.ne (local.get $ba) (local.get $a))
                  (f64x2.ne (local.get $bb) (local.get $b)))
                (v128.const i32x4 1 1 1 1)))
            (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
              (f64x2.ne (local.get $a) (local.get $a))
              (f64x2.ne (local.get $b) (local.get $b)))))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))
)
