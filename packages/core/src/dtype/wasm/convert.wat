;; Bulk float conversions with WebAssembly SIMD (v128). Source of convert-wasm.generated.ts:
;; edit this file, then run `pnpm gen:wasm`.
;;
;; Every exported kernel takes byte addresses in this module's memory and an element count `n`
;; that the caller has rounded up to a multiple of 8 (the chunk buffers are padded, so the extra
;; lanes read stale memory and their results are simply not copied out).
;; Lane helpers work on i32x4 lanes: fp32 bit patterns in, 16-bit patterns (zero-extended) out.
(module
  ;; 16 pages = 1 MiB; the layout (input region, output region) is chosen by wasm-engine.ts.
  (memory (export "memory") 16)

  ;; fp32 bits -> bf16 bits, round to nearest even: add 0x7fff plus the lowest kept bit, then
  ;; drop the low 16 bits. Overflow carries into the exponent and lands exactly on inf (0x7f80).
  ;; NaN lanes give the quiet NaN 0x7fc0 with the input's sign (the add could turn them into inf).
  (func $bf16_from_f32 (param $x v128) (result v128)
    (local $hi v128)
    (local.set $hi (i32x4.shr_u (local.get $x) (i32.const 16)))
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

  ;; fp32 bits -> fp16 bits, round to nearest even, done by the FPU's own rounding:
  ;; base = |x| * 2^112 * 2^-110 is |x| * 4, except that it overflows to inf for |x| >= 2^16.
  ;; With E the exponent of x (clamped below at -14, the fp16 normal minimum), the float
  ;; 2^(E+15) has an fp32 ulp of 2^(E-8) = 4 * 2^(E-10), i.e. one fp16 ulp of x scaled by 4, so
  ;; base + 2^(E+15) is rounded once, RNE, exactly where fp16 rounds x. In the sum's bits the
  ;; exponent field low 5 bits are (E+14) mod 32 and the low 12 mantissa bits hold 2^10 + the
  ;; 10 fp16 mantissa bits (a carry of the rounding moves into bit 11), so adding the two fields
  ;; gives (E+15) << 10 + mantissa: the fp16 pattern, exponent carry and overflow to 0x7c00
  ;; included. Below 2^-14 the clamp makes the sum hold the subnormal mantissa directly.
  ;; NaN lanes give 0x7e00 (quiet) with the input's sign.
  (func $f16_from_f32 (param $x v128) (result v128)
    (local $two v128) (local $sum v128)
    (local.set $two (i32x4.add (local.get $x) (local.get $x)))
    (local.set $sum
      (f32x4.add
        (i32x4.add
          (i32x4.shr_u
            (i32x4.max_u
              (v128.and (local.get $two) (v128.const i32x4 0xff000000 0xff000000 0xff000000 0xff000000))
              (v128.const i32x4 0x71000000 0x71000000 0x71000000 0x71000000))
            (i32.const 1))
          (v128.const i32x4 0x07800000 0x07800000 0x07800000 0x07800000))
        (f32x4.mul
          (f32x4.mul (f32x4.abs (local.get $x)) (v128.const f32x4 0x1p+112 0x1p+112 0x1p+112 0x1p+112))
          (v128.const f32x4 0x1p-110 0x1p-110 0x1p-110 0x1p-110))))
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

  ;; fp16 bits (zero-extended in i32 lanes) -> fp32 bits, exact.
  ;; Normal, inf and NaN: move exponent+mantissa to fp32 position, add 224 to the exponent
  ;; (so 31 becomes 255) and multiply by 2^-112 (net rebias +112). Inf stays inf; NaN comes out
  ;; quiet (the multiply quiets a signalling NaN, keeping the payload on x86).
  ;; Subnormal: the mantissa m placed under the exponent of 0.5 gives 0.5 + m * 2^-24; minus
  ;; 0.5 leaves m * 2^-24 exactly.
  (func $f32_from_f16 (param $h v128) (result v128)
    (local $w v128) (local $two v128)
    (local.set $w (i32x4.shl (local.get $h) (i32.const 16)))
    (local.set $two (i32x4.add (local.get $w) (local.get $w)))
    (v128.or
      (v128.and (local.get $w) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
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
        (i32x4.lt_u (local.get $two) (v128.const i32x4 0x08000000 0x08000000 0x08000000 0x08000000)))))

  ;; Four doubles (two f64x2) -> four fp32 bit patterns rounded to ODD: truncate toward zero,
  ;; then set the last bit if anything was dropped. Rounding a round-to-odd value with at least
  ;; 2 more bits than the target (fp32 has 24, halves 8 or 11; also in the fp32 subnormal range,
  ;; whose grid is still 2^16 times finer than bf16's) gives the same result as rounding the
  ;; double directly (Boldo & Melquiond), so f64 -> half is ONE rounding, unlike f64 -> f32 -> half.
  ;; Truncation is done from the RNE demote: if it went up in magnitude, step back one ulp.
  ;; Overflow: a demote to inf steps back to 0x7f7fffff, which both halves round to inf.
  ;; NaN lanes are rebuilt from the double's sign (wasm leaves the sign of a NaN result open).
  (func $f32_odd_from_f64 (param $a v128) (param $b v128) (result v128)
    (local $fa v128) (local $fb v128) (local $ba v128) (local $bb v128) (local $f v128)
    (local.set $fa (f32x4.demote_f64x2_zero (local.get $a)))
    (local.set $fb (f32x4.demote_f64x2_zero (local.get $b)))
    (local.set $ba (f64x2.promote_low_f32x4 (local.get $fa)))
    (local.set $bb (f64x2.promote_low_f32x4 (local.get $fb)))
    ;; [fa0 fa1 fb0 fb1]
    (local.set $f (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $fa) (local.get $fb)))
    ;; i64 masks narrowed to i32 lanes by taking the low word of each: -1 steps the magnitude down
    (local.set $f
      (i32x4.add (local.get $f)
        (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
          (f64x2.gt (f64x2.abs (local.get $ba)) (f64x2.abs (local.get $a)))
          (f64x2.gt (f64x2.abs (local.get $bb)) (f64x2.abs (local.get $b))))))
    (local.set $f
      (v128.or (local.get $f)
        (v128.and
          (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
            (f64x2.ne (local.get $ba) (local.get $a))
            (f64x2.ne (local.get $bb) (local.get $b)))
          (v128.const i32x4 1 1 1 1))))
    (v128.bitselect
      (v128.or
        (v128.and
          ;; high words of the doubles hold the signs
          (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b))
          (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
        (v128.const i32x4 0x7fc00000 0x7fc00000 0x7fc00000 0x7fc00000))
      (local.get $f)
      (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
        (f64x2.ne (local.get $a) (local.get $a))
        (f64x2.ne (local.get $b) (local.get $b)))))

  ;; ---------------------------------------------------------------- narrowing kernels
  (func (export "f32_to_bf16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (v128.store (local.get $dst)
          (i16x8.narrow_i32x4_u
            (call $bf16_from_f32 (v128.load (local.get $src)))
            (call $bf16_from_f32 (v128.load offset=16 (local.get $src)))))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))

  (func (export "f32_to_f16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (v128.store (local.get $dst)
          (i16x8.narrow_i32x4_u
            (call $f16_from_f32 (v128.load (local.get $src)))
            (call $f16_from_f32 (v128.load offset=16 (local.get $src)))))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))

  (func (export "f64_to_bf16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (v128.store (local.get $dst)
          (i16x8.narrow_i32x4_u
            (call $bf16_from_f32
              (call $f32_odd_from_f64 (v128.load (local.get $src)) (v128.load offset=16 (local.get $src))))
            (call $bf16_from_f32
              (call $f32_odd_from_f64 (v128.load offset=32 (local.get $src)) (v128.load offset=48 (local.get $src))))))
        (local.set $src (i32.add (local.get $src) (i32.const 64)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))

  (func (export "f64_to_f16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (v128.store (local.get $dst)
          (i16x8.narrow_i32x4_u
            (call $f16_from_f32
              (call $f32_odd_from_f64 (v128.load (local.get $src)) (v128.load offset=16 (local.get $src))))
            (call $f16_from_f32
              (call $f32_odd_from_f64 (v128.load offset=32 (local.get $src)) (v128.load offset=48 (local.get $src))))))
        (local.set $src (i32.add (local.get $src) (i32.const 64)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))

  ;; ---------------------------------------------------------------- widening kernels
  (func (export "bf16_to_f32") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $h v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 1))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (local.set $h (v128.load (local.get $src)))
        (v128.store (local.get $dst)
          (i32x4.shl (i32x4.extend_low_i16x8_u (local.get $h)) (i32.const 16)))
        (v128.store offset=16 (local.get $dst)
          (i32x4.shl (i32x4.extend_high_i16x8_u (local.get $h)) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))

  (func (export "f16_to_f32") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $h v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 1))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (local.set $h (v128.load (local.get $src)))
        (v128.store (local.get $dst) (call $f32_from_f16 (i32x4.extend_low_i16x8_u (local.get $h))))
        (v128.store offset=16 (local.get $dst)
          (call $f32_from_f16 (i32x4.extend_high_i16x8_u (local.get $h))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))

  ;; ---------------------------------------------------------------- round trips (value of the
  ;; half, as fp32; the f64 caller widens it exactly with TypedArray.set)
  (func (export "f32_round_bf16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (v128.store (local.get $dst)
          (i32x4.shl (call $bf16_from_f32 (v128.load (local.get $src))) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))

  (func (export "f32_round_f16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (v128.store (local.get $dst)
          (call $f32_from_f16 (call $f16_from_f32 (v128.load (local.get $src)))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))

  (func (export "f64_round_bf16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (v128.store (local.get $dst)
          (i32x4.shl
            (call $bf16_from_f32
              (call $f32_odd_from_f64 (v128.load (local.get $src)) (v128.load offset=16 (local.get $src))))
            (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))

  (func (export "f64_round_f16") (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $next
        (v128.store (local.get $dst)
          (call $f32_from_f16
            (call $f16_from_f32
              (call $f32_odd_from_f64 (v128.load (local.get $src)) (v128.load offset=16 (local.get $src))))))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $end))))))
)
