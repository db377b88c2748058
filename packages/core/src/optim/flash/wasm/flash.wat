;; FlashAdam(W) fast path (bf16 param + int8 ECC + quantized moments) with WebAssembly SIMD.
;; Source of flash-wasm.generated.ts: edit this file, then run `pnpm gen:wasm`. Driven by
;; flash-wasm-engine.ts, which copies one chunk of every array into this module's memory, calls
;; `adam`, and copies the results back.
;;
;; Bit-exact against `adamFastBlock` in flash-kernels.ts: every f32x4 operation below is the
;; fp32 operation the JS performs (`Math.fround` after each op), in the same order. Notes:
;; - code -> fp32 decoding (ρ/127, the softsign level of an exp_avg code, code/255) looks up the
;;   JS's own 256-entry tables, copied into memory by the engine (4 scalar loads per vector:
;;   cheaper than the two or three divisions each would take);
;; - other divisions stay divisions (the JS's x*(1/a) forms are proven equal to x/a);
;; - ECC decode: ρ/127 * 2^s, one rounding; 2^s is built from the exponent field (a subnormal
;;   for the fields 0..8);
;; - ECC encode: e * 2^-s with 2^-s up to 2^134 (beyond fp32), split into two power-of-two
;;   factors; both products are exact, as is the single double product in the JS;
;; - clamps and group maxima use pmin/pmax (compare + select): a NaN never wins a pmax, so the
;;   group's NaN flag is kept separately;
;; - float -> int uses trunc_sat (NaN -> 0), after floor or toward zero where the JS truncates;
;; - no subnormal arithmetic on the common path (x86 handles subnormals in microcode).
;;
;; Layout: the caller passes byte addresses of the regions (param bits, ecc, moment codes, group
;; scales, gradient, scratch of 8 bytes per element + 8 per group, the three decode tables) and
;; n, the chunk's element count. Two passes over the chunk: the element-wise update (long
;; independent loops), then the per-group re-quantization. Every region is padded to whole
;; groups of 32; lanes past n compute on (zeroed) padding, are masked out of the group maxima,
;; and are never copied back.
(module
  ;; 8 pages = 512 KiB; the regions are laid out by flash-wasm-engine.ts.
  (memory (export "memory") 8)

  ;; fp16 bits (low 16 bits of $h) -> fp32 value, exact (subnormals, inf and NaN included).
  (func $f16dec (param $h i32) (result f32)
    (local $em i32) (local $x f32)
    (local.set $em (i32.and (local.get $h) (i32.const 0x7fff)))
    (if (i32.ge_u (local.get $em) (i32.const 0x7c00))
      (then
        (local.set $x (f32.reinterpret_i32
          (i32.or (i32.shl (local.get $em) (i32.const 13)) (i32.const 0x7f800000)))))
      (else
        ;; (em << 13) read as fp32 is the value times 2^-112 (subnormal fp16 included).
        (local.set $x (f32.mul
          (f32.reinterpret_i32 (i32.shl (local.get $em) (i32.const 13)))
          (f32.const 0x1p112)))))
    (if (result f32) (i32.and (local.get $h) (i32.const 0x8000))
      (then (f32.neg (local.get $x)))
      (else (local.get $x))))

  ;; fp16 bits of a non-negative, non-NaN fp32 value, round to nearest even (f16FromF32Bits).
  (func $f16enc (param $a f32) (result i32)
    (local $b i32) (local $t i32)
    (local.set $b (i32.reinterpret_f32 (local.get $a)))
    (if (i32.ge_u (local.get $b) (i32.const 0x477ff000)) (then (return (i32.const 0x7c00))))
    (if (i32.ge_u (local.get $b) (i32.const 0x38800000))
      (then
        (local.set $t (i32.sub (local.get $b) (i32.const 0x38000000)))
        (return (i32.shr_u
          (i32.add (i32.add (local.get $t) (i32.const 0xfff))
            (i32.and (i32.shr_u (local.get $t) (i32.const 13)) (i32.const 1)))
          (i32.const 13)))))
    ;; Below 2^-14: the subnormal step count |a| / 2^-24 (exact), rounded to an integer (RNE).
    (i32.trunc_f32_u (f32.nearest (f32.mul (local.get $a) (f32.const 0x1p24)))))

  (func (export "adam")
    (param $p i32) (param $e i32) (param $mc i32) (param $vc i32) (param $ms i32) (param $vs i32)
    (param $g i32) (param $scr i32) (param $n i32) (param $gk i32)
    (param $b1s f32) (param $b2s f32) (param $omb1s f32) (param $omb2s f32) (param $lrs f32)
    (param $epss f32) (param $bc1s f32) (param $bc2s f32) (param $decays f32) (param $wds f32)
    (param $tabM i32) (param $tabV i32) (param $tabR i32)
    (local $b1 v128) (local $b2 v128) (local $omb1 v128) (local $omb2 v128) (local $lr v128)
    (local $eps v128) (local $bc1 v128) (local $bc2 v128) (local $decay v128) (local $wd v128)
    (local $useWd i32)
    (local $gs i32) (local $k i32) (local $idx i32) (local $grp i32)
    (local $sm v128) (local $sv v128) (local $amaxM v128) (local $amaxV v128)
    (local $bv v128) (local $hu v128) (local $t v128) (local $gr v128)
    (local $x v128) (local $m1 v128) (local $m2 v128) (local $r v128) (local $sq v128)
    (local $nb v128) (local $rn v128) (local $en v128)
    (local $valid v128) (local $am f32) (local $av f32) (local $amax v128)
    (local $scrM i32) (local $scrV i32) (local $sB i32) (local $ga i32)
    (local $w i32)
    (local $nanM v128) (local $nanV v128) (local $absMask v128) (local $signMask v128)
    (local.set $b1 (f32x4.splat (local.get $b1s)))
    (local.set $b2 (f32x4.splat (local.get $b2s)))
    (local.set $omb1 (f32x4.splat (local.get $omb1s)))
    (local.set $omb2 (f32x4.splat (local.get $omb2s)))
    (local.set $lr (f32x4.splat (local.get $lrs)))
    (local.set $eps (f32x4.splat (local.get $epss)))
    (local.set $bc1 (f32x4.splat (local.get $bc1s)))
    (local.set $bc2 (f32x4.splat (local.get $bc2s)))
    (local.set $decay (f32x4.splat (local.get $decays)))
    (local.set $wd (f32x4.splat (local.get $wds)))
    (local.set $absMask (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))
    (local.set $signMask (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
    ;; `wd !== 0` in the JS: -0 and +0 both skip the coupled decay term.
    (local.set $useWd (f32.ne (local.get $wds) (f32.const 0)))
    ;; scratch: the new exp_avg values, then their second moments' square roots (n rounded up to
    ;; whole groups each), then each group's two maxima (NaN when the group holds a NaN)
    (local.set $sB (i32.add (local.get $scr)
      (i32.shl (i32.and (i32.add (local.get $n) (i32.const 31)) (i32.const -32)) (i32.const 2))))
    (local.set $ga (i32.add (local.get $sB)
      (i32.shl (i32.and (i32.add (local.get $n) (i32.const 31)) (i32.const -32)) (i32.const 2))))
    ;; ---- pass 1, element-wise: masters, moments, param bits and ECC; group maxima ----
    (local.set $gs (i32.const 0))
    (local.set $grp (i32.const 0))
    (block $groupsDone
      (br_if $groupsDone (i32.ge_s (local.get $gs) (local.get $n)))
      (loop $group
        (local.set $sm (f32x4.splat (call $f16dec
          (i32.load16_u (i32.add (local.get $ms) (i32.shl (local.get $grp) (i32.const 1)))))))
        (local.set $sv (f32x4.splat (call $f16dec
          (i32.load16_u (i32.add (local.get $vs) (i32.shl (local.get $grp) (i32.const 1)))))))
        (local.set $scrM (i32.add (local.get $scr) (i32.shl (local.get $gs) (i32.const 2))))
        (local.set $scrV (i32.add (local.get $sB) (i32.shl (local.get $gs) (i32.const 2))))
        (local.set $amaxM (v128.const i32x4 0 0 0 0))
        (local.set $amaxV (v128.const i32x4 0 0 0 0))
        (local.set $nanM (v128.const i32x4 0 0 0 0))
        (local.set $nanV (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (loop $elem
          (local.set $idx (i32.add (local.get $gs) (local.get $k)))
          ;; ---- decode the master: T = bf16 value + fp32(fp32(ρ/127) * 2^s) ----
          (local.set $bv (v128.load16x4_u (i32.add (local.get $p) (i32.shl (local.get $idx) (i32.const 1)))))
          ;; 2^s = 2^(f-135) for the exponent field f clamped to [1, 254] (field 0 shares field 1's
          ;; ULP; for field 255 the value is ±inf/NaN and any finite 2^s gives the same sum):
          ;; the clamped field in place, read as fp32, is 2^(f-127); times 2^-8 is exact (a
          ;; subnormal only for the tiny fields f <= 8).
          (local.set $hu (f32x4.mul
            (i32x4.min_s
              (i32x4.max_s
                (v128.and (i32x4.shl (local.get $bv) (i32.const 16))
                  (v128.const i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000))
                (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000))
              (v128.const i32x4 0x7f000000 0x7f000000 0x7f000000 0x7f000000))
            (v128.const f32x4 0x1p-8 0x1p-8 0x1p-8 0x1p-8)))
          (local.set $w (i32.load (i32.add (local.get $e) (local.get $idx))))
          (local.set $x (f32x4.splat (f32.load (i32.add (local.get $tabR) (i32.shl (i32.and (local.get $w) (i32.const 0xff)) (i32.const 2))))))
          (local.set $x (f32x4.replace_lane 1 (local.get $x) (f32.load (i32.add (local.get $tabR) (i32.and (i32.shr_u (local.get $w) (i32.const 6)) (i32.const 0x3fc))))))
          (local.set $x (f32x4.replace_lane 2 (local.get $x) (f32.load (i32.add (local.get $tabR) (i32.and (i32.shr_u (local.get $w) (i32.const 14)) (i32.const 0x3fc))))))
          (local.set $x (f32x4.replace_lane 3 (local.get $x) (f32.load (i32.add (local.get $tabR) (i32.and (i32.shr_u (local.get $w) (i32.const 22)) (i32.const 0x3fc))))))
          (local.set $t (f32x4.add
            (i32x4.shl (local.get $bv) (i32.const 16))
            (f32x4.mul (local.get $x) (local.get $hu))))
          ;; ---- gradient: fp32, bf16 bits or fp16 bits ----
          (if (i32.eqz (local.get $gk))
            (then
              (local.set $gr (v128.load (i32.add (local.get $g) (i32.shl (local.get $idx) (i32.const 2))))))
            (else
              (local.set $x (v128.load16x4_u (i32.add (local.get $g) (i32.shl (local.get $idx) (i32.const 1)))))
              (if (i32.eq (local.get $gk) (i32.const 1))
                (then (local.set $gr (i32x4.shl (local.get $x) (i32.const 16))))
                (else
                  ;; fp16: (em << 13) * 2^112, or inf/NaN rebuilt from the field; then the sign
                  (local.set $r (v128.and (local.get $x) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff)))
                  (local.set $gr (v128.or
                    (v128.bitselect
                      (i32x4.add (i32x4.shl (local.get $r) (i32.const 13))
                        (v128.const i32x4 0x70000000 0x70000000 0x70000000 0x70000000))
                      (f32x4.mul (i32x4.shl (local.get $r) (i32.const 13))
                        (v128.const f32x4 0x1p112 0x1p112 0x1p112 0x1p112))
                      (i32x4.gt_s (local.get $r) (v128.const i32x4 0x7bff 0x7bff 0x7bff 0x7bff)))
                    (i32x4.shl (v128.and (local.get $x) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
                      (i32.const 16))))))))
          (if (local.get $useWd)
            (then (local.set $gr (f32x4.add (local.get $gr) (f32x4.mul (local.get $wd) (local.get $t))))))
          ;; ---- moments: decode, update ----
          ;; m_old = level(code) * scale, the signed softsign level t/(2-|t|), t = code/127 (table)
          (local.set $w (i32.load (i32.add (local.get $mc) (local.get $idx))))
          (local.set $x (f32x4.splat (f32.load (i32.add (local.get $tabM) (i32.shl (i32.and (local.get $w) (i32.const 0xff)) (i32.const 2))))))
          (local.set $x (f32x4.replace_lane 1 (local.get $x) (f32.load (i32.add (local.get $tabM) (i32.and (i32.shr_u (local.get $w) (i32.const 6)) (i32.const 0x3fc))))))
          (local.set $x (f32x4.replace_lane 2 (local.get $x) (f32.load (i32.add (local.get $tabM) (i32.and (i32.shr_u (local.get $w) (i32.const 14)) (i32.const 0x3fc))))))
          (local.set $x (f32x4.replace_lane 3 (local.get $x) (f32.load (i32.add (local.get $tabM) (i32.and (i32.shr_u (local.get $w) (i32.const 22)) (i32.const 0x3fc))))))
          (local.set $x (f32x4.mul (local.get $x) (local.get $sm)))
          (local.set $m1 (f32x4.add
            (f32x4.mul (local.get $x) (local.get $b1))
            (f32x4.mul (local.get $gr) (local.get $omb1))))
          ;; r = level(code) * scale with level = code/255 (table); v_old = r*r
          (local.set $w (i32.load (i32.add (local.get $vc) (local.get $idx))))
          (local.set $r (f32x4.splat (f32.load (i32.add (local.get $tabV) (i32.shl (i32.and (local.get $w) (i32.const 0xff)) (i32.const 2))))))
          (local.set $r (f32x4.replace_lane 1 (local.get $r) (f32.load (i32.add (local.get $tabV) (i32.and (i32.shr_u (local.get $w) (i32.const 6)) (i32.const 0x3fc))))))
          (local.set $r (f32x4.replace_lane 2 (local.get $r) (f32.load (i32.add (local.get $tabV) (i32.and (i32.shr_u (local.get $w) (i32.const 14)) (i32.const 0x3fc))))))
          (local.set $r (f32x4.replace_lane 3 (local.get $r) (f32.load (i32.add (local.get $tabV) (i32.and (i32.shr_u (local.get $w) (i32.const 22)) (i32.const 0x3fc))))))
          (local.set $r (f32x4.mul (local.get $r) (local.get $sv)))
          (local.set $m2 (f32x4.add
            (f32x4.mul (f32x4.mul (local.get $r) (local.get $r)) (local.get $b2))
            (f32x4.mul (f32x4.mul (local.get $gr) (local.get $gr)) (local.get $omb2))))
          ;; ---- parameter update ----
          (local.set $t (f32x4.sub
            (f32x4.mul (local.get $t) (local.get $decay))
            (f32x4.div
              (f32x4.mul (local.get $lr) (f32x4.div (local.get $m1) (local.get $bc1)))
              (f32x4.add (f32x4.sqrt (f32x4.div (local.get $m2) (local.get $bc2))) (local.get $eps)))))
          (local.set $sq (f32x4.sqrt (local.get $m2)))
          (v128.store (i32.add (local.get $scrM) (i32.shl (local.get $k) (i32.const 2))) (local.get $m1))
          (v128.store (i32.add (local.get $scrV) (i32.shl (local.get $k) (i32.const 2)))
            (local.get $sq))
          ;; group maxima: pmax keeps the running max when the new value is NaN, so NaNs are
          ;; flagged separately (sqrt(v) is >= 0, -0 or NaN: no abs needed)
          (local.set $amaxM (f32x4.pmax (local.get $amaxM) (v128.and (local.get $m1) (local.get $absMask))))
          (local.set $nanM (v128.or (local.get $nanM) (f32x4.ne (local.get $m1) (local.get $m1))))
          (local.set $amaxV (f32x4.pmax (local.get $amaxV) (local.get $sq)))
          (local.set $nanV (v128.or (local.get $nanV) (f32x4.ne (local.get $sq) (local.get $sq))))
          ;; ---- narrow the master to bf16 (RTNE, NaN -> quiet NaN) ----
          (local.set $x (i32x4.shr_u (local.get $t) (i32.const 16)))
          (local.set $nb (v128.bitselect
            (v128.or
              (v128.and (local.get $x) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
              (v128.const i32x4 0x7fc0 0x7fc0 0x7fc0 0x7fc0))
            (i32x4.shr_u
              (i32x4.add
                (i32x4.add (local.get $t) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff))
                (v128.and (local.get $x) (v128.const i32x4 1 1 1 1)))
              (i32.const 16))
            (f32x4.ne (local.get $t) (local.get $t))))
          (v128.store64_lane 0 (i32.add (local.get $p) (i32.shl (local.get $idx) (i32.const 1)))
            (i16x8.narrow_i32x4_u (local.get $nb) (local.get $nb)))
          ;; ---- ECC encode: en = clamp((T - θ') * 2^-s, ±1), ρ = sign·floor(|127·en| + 0.5) ----
          ;; 2^-s = 2^(135-f), f the new field clamped to [1, 254] (for 255 the residual is ±inf
          ;; or NaN and any positive factor gives the same), applied as 2^7 then 2^(128-f) (both
          ;; normal; the residual scaled up by 2^7 is exact, and so is the final product)
          (local.set $en (f32x4.mul
            (f32x4.mul
              (f32x4.sub (local.get $t) (local.tee $rn (i32x4.shl (local.get $nb) (i32.const 16))))
              (v128.const f32x4 0x1p7 0x1p7 0x1p7 0x1p7))
            (i32x4.sub (v128.const i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000)
              (i32x4.min_s
                (i32x4.max_s
                  (v128.and (local.get $rn) (v128.const i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000))
                  (v128.const i32x4 0x00800000 0x00800000 0x00800000 0x00800000))
                (v128.const i32x4 0x7f000000 0x7f000000 0x7f000000 0x7f000000)))))
          (local.set $en (f32x4.pmax
            (f32x4.pmin (local.get $en) (v128.const f32x4 1 1 1 1))
            (v128.const f32x4 -1 -1 -1 -1)))
          (local.set $en (f32x4.mul (local.get $en) (v128.const f32x4 127 127 127 127)))
          ;; sign(y)·floor(|y| + 0.5) = trunc(y + copysign(0.5, y)) (|y| + 0.5 rounds the same
          ;; either sign); NaN -> 0
          (local.set $x (i32x4.trunc_sat_f32x4_s (f32x4.add (local.get $en)
            (v128.or (v128.and (local.get $en) (local.get $signMask))
              (v128.const f32x4 0.5 0.5 0.5 0.5)))))
          (local.set $x (i16x8.narrow_i32x4_s (local.get $x) (local.get $x)))
          (v128.store32_lane 0 (i32.add (local.get $e) (local.get $idx))
            (i8x16.narrow_i16x8_s (local.get $x) (local.get $x)))
          (local.set $k (i32.add (local.get $k) (i32.const 4)))
          (br_if $elem (i32.lt_u (local.get $k) (i32.const 32))))

        ;; A partial last group: recompute the maxima over its valid lanes only (the lanes past
        ;; n computed on padding).
        (if (i32.gt_s (i32.add (local.get $gs) (i32.const 32)) (local.get $n))
          (then
            (local.set $amaxM (v128.const i32x4 0 0 0 0))
            (local.set $amaxV (v128.const i32x4 0 0 0 0))
            (local.set $nanM (v128.const i32x4 0 0 0 0))
            (local.set $nanV (v128.const i32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (loop $tail
              (local.set $valid (i32x4.gt_s
                (i32x4.splat (i32.sub (local.get $n) (i32.add (local.get $gs) (local.get $k))))
                (v128.const i32x4 0 1 2 3)))
              (local.set $m1 (v128.and (local.get $valid)
                (v128.load (i32.add (local.get $scrM) (i32.shl (local.get $k) (i32.const 2))))))
              (local.set $sq (v128.and (local.get $valid)
                (v128.load (i32.add (local.get $scrV) (i32.shl (local.get $k) (i32.const 2))))))
              (local.set $amaxM (f32x4.pmax (local.get $amaxM) (v128.and (local.get $m1) (local.get $absMask))))
              (local.set $nanM (v128.or (local.get $nanM) (f32x4.ne (local.get $m1) (local.get $m1))))
              (local.set $amaxV (f32x4.pmax (local.get $amaxV) (local.get $sq)))
              (local.set $nanV (v128.or (local.get $nanV) (f32x4.ne (local.get $sq) (local.get $sq))))
              (local.set $k (i32.add (local.get $k) (i32.const 4)))
              (br_if $tail (i32.lt_u (local.get $k) (i32.const 32))))))
        ;; horizontal maxima (no NaN lanes: those are in the flags)
        (local.set $amaxM (f32x4.pmax (local.get $amaxM)
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $amaxM) (local.get $amaxM))))
        (local.set $amaxM (f32x4.pmax (local.get $amaxM)
          (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $amaxM) (local.get $amaxM))))
        (local.set $amaxV (f32x4.pmax (local.get $amaxV)
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $amaxV) (local.get $amaxV))))
        (local.set $amaxV (f32x4.pmax (local.get $amaxV)
          (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $amaxV) (local.get $amaxV))))
        (f32.store (i32.add (local.get $ga) (i32.shl (local.get $grp) (i32.const 3)))
          (select (f32.const nan) (f32x4.extract_lane 0 (local.get $amaxM)) (v128.any_true (local.get $nanM))))
        (f32.store offset=4 (i32.add (local.get $ga) (i32.shl (local.get $grp) (i32.const 3)))
          (select (f32.const nan) (f32x4.extract_lane 0 (local.get $amaxV)) (v128.any_true (local.get $nanV))))
        (local.set $grp (i32.add (local.get $grp) (i32.const 1)))
        (local.set $gs (i32.add (local.get $gs) (i32.const 32)))
        (br_if $group (i32.lt_s (local.get $gs) (local.get $n)))))

    ;; ---- pass 2, per group: fp16 scales and codes of both moments ----
    (local.set $gs (i32.const 0))
    (local.set $grp (i32.const 0))
    (block $quantDone
      (br_if $quantDone (i32.ge_s (local.get $gs) (local.get $n)))
      (loop $quant
        (local.set $scrM (i32.add (local.get $scr) (i32.shl (local.get $gs) (i32.const 2))))
        (local.set $scrV (i32.add (local.get $sB) (i32.shl (local.get $gs) (i32.const 2))))
        (local.set $am (f32.load (i32.add (local.get $ga) (i32.shl (local.get $grp) (i32.const 3)))))
        (local.set $av (f32.load offset=4 (i32.add (local.get $ga) (i32.shl (local.get $grp) (i32.const 3)))))

        ;; ---- re-quantize exp_avg (signed + softsign) ----
        (if (f32.ne (local.get $am) (local.get $am))
          (then
            (i32.store16 (i32.add (local.get $ms) (i32.shl (local.get $grp) (i32.const 1))) (i32.const 0x7e00))
            (v128.store (i32.add (local.get $mc) (local.get $gs)) (v128.const i32x4 0 0 0 0))
            (v128.store (i32.add (local.get $mc) (i32.add (local.get $gs) (i32.const 16))) (v128.const i32x4 0 0 0 0)))
          (else
            (if (f32.lt (local.get $am) (f32.const 1e-12)) (then (local.set $am (f32.const 1e-12))))
            (i32.store16 (i32.add (local.get $ms) (i32.shl (local.get $grp) (i32.const 1)))
              (call $f16enc (local.get $am)))
            (local.set $amax (f32x4.splat (local.get $am)))
            (local.set $k (i32.const 0))
            (loop $qm
              (local.set $x (f32x4.div
                (v128.load (i32.add (local.get $scrM) (i32.shl (local.get $k) (i32.const 2))))
                (local.get $amax)))
              (local.set $x (f32x4.div
                (f32x4.add (local.get $x) (local.get $x))
                (f32x4.add (v128.const f32x4 1 1 1 1) (v128.and (local.get $x) (local.get $absMask)))))
              (local.set $x (i32x4.trunc_sat_f32x4_s (f32x4.floor
                (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 127 127 127 127))
                  (v128.const f32x4 0.5 0.5 0.5 0.5)))))
              (local.set $x (i16x8.narrow_i32x4_s (local.get $x) (local.get $x)))
              (v128.store32_lane 0 (i32.add (local.get $mc) (i32.add (local.get $gs) (local.get $k)))
                (i8x16.narrow_i16x8_s (local.get $x) (local.get $x)))
              (local.set $k (i32.add (local.get $k) (i32.const 4)))
              (br_if $qm (i32.lt_u (local.get $k) (i32.const 32))))))

        ;; ---- re-quantize exp_avg_sq (unsigned, over the square roots) ----
        (if (f32.ne (local.get $av) (local.get $av))
          (then
            (i32.store16 (i32.add (local.get $vs) (i32.shl (local.get $grp) (i32.const 1))) (i32.const 0x7e00))
            (v128.store (i32.add (local.get $vc) (local.get $gs)) (v128.const i32x4 0 0 0 0))
            (v128.store (i32.add (local.get $vc) (i32.add (local.get $gs) (i32.const 16))) (v128.const i32x4 0 0 0 0)))
          (else
            (if (f32.lt (local.get $av) (f32.const 1e-12)) (then (local.set $av (f32.const 1e-12))))
            (i32.store16 (i32.add (local.get $vs) (i32.shl (local.get $grp) (i32.const 1)))
              (call $f16enc (local.get $av)))
            (local.set $amax (f32x4.splat (local.get $av)))
            (local.set $k (i32.const 0))
            (loop $qv
              (local.set $x (f32x4.div
                (v128.load (i32.add (local.get $scrV) (i32.shl (local.get $k) (i32.const 2))))
                (local.get $amax)))
              (local.set $x (i32x4.trunc_sat_f32x4_s (f32x4.floor
                (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 255 255 255 255))
                  (v128.const f32x4 0.5 0.5 0.5 0.5)))))
              (local.set $x (i16x8.narrow_i32x4_s (local.get $x) (local.get $x)))
              (v128.store32_lane 0 (i32.add (local.get $vc) (i32.add (local.get $gs) (local.get $k)))
                (i8x16.narrow_i16x8_u (local.get $x) (local.get $x)))
              (local.set $k (i32.add (local.get $k) (i32.const 4)))
              (br_if $qv (i32.lt_u (local.get $k) (i32.const 32))))))

        (local.set $grp (i32.add (local.get $grp) (i32.const 1)))
        (local.set $gs (i32.add (local.get $gs) (i32.const 32)))
        (br_if $quant (i32.lt_s (local.get $gs) (local.get $n)))))))
