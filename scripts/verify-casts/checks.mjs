// The checks of verify-casts.mjs, run inside worker threads: each task converts a batch with
// core's bulk module (both engines) and compares every element with reference.mjs.
import {
  decodeTable,
  decodeValue,
  exponentOf,
  FORMATS,
  nanPattern,
  prng,
  roundAllF32,
  roundValue,
  sameValue,
} from './reference.mjs';

const BF = FORMATS.bf16;
const FP = FORMATS.f16;
const DECODE = { bf16: decodeTable(BF), f16: decodeTable(FP) };
const hex = (n, digits) => n.toString(16).padStart(digits, '0');

/** Tallies of one task: check name -> { checked, mismatches, ms, examples }. */
class Tally {
  checks = {};
  add(name, checked, mismatches, ms, examples) {
    this.checks[name] ??= { checked: 0, mismatches: 0, ms: 0, examples: [] };
    const c = this.checks[name];
    c.checked += checked;
    c.mismatches += mismatches;
    c.ms += ms;
    for (const e of examples) if (c.examples.length < 5) c.examples.push(e);
  }
}

const timed = (fn) => {
  const t = performance.now();
  fn();
  return performance.now() - t;
};

/** Compares half bits against reference values (NaN: the policy pattern with the input sign). */
function compareHalf(bits, ref, negative, f, describe) {
  const decode = DECODE[f === BF ? 'bf16' : 'f16'];
  let bad = 0;
  const examples = [];
  for (let i = 0; i < bits.length; i++) {
    const r = ref[i];
    const ok = Number.isNaN(r)
      ? bits[i] === nanPattern(f, negative(i))
      : sameValue(decode[bits[i]], r);
    if (!ok) {
      bad++;
      if (examples.length < 5) examples.push(`${describe(i)} -> ${hex(bits[i], 4)}, want ${r}`);
    }
  }
  return { bad, examples };
}

/** Compares values (NaN matches NaN). */
function compareValues(got, want, describe) {
  let bad = 0;
  const examples = [];
  for (let i = 0; i < got.length; i++) {
    if (!sameValue(got[i], want[i])) {
      bad++;
      if (examples.length < 5) examples.push(`${describe(i)}: got ${got[i]}, want ${want[i]}`);
    }
  }
  return { bad, examples };
}

/** Widened halves against the reference decoding of the same patterns (+ NaN policy). */
function compareWiden(bits, wide, wideU32, f) {
  const decode = DECODE[f === BF ? 'bf16' : 'f16'];
  let bad = 0;
  const examples = [];
  for (let i = 0; i < bits.length; i++) {
    const want = decode[bits[i]];
    let ok = sameValue(wide[i], want);
    // bf16 widening is a pure shift (NaN payload kept); fp16 widening quiets NaNs (bit 22).
    if (ok && f === BF && wideU32) ok = wideU32[i] === bits[i] * 65536;
    if (ok && f === FP && wideU32 && Number.isNaN(want))
      ok = Math.floor(wideU32[i] / 4194304) % 2 === 1;
    if (!ok) {
      bad++;
      if (examples.length < 5) examples.push(`${hex(bits[i], 4)} -> ${wide[i]}, want ${want}`);
    }
  }
  return { bad, examples };
}

// Buffers reused by every task of a worker: fresh 100 MB per task would cost more in page
// faults and GC than the checks themselves.
let cached;
function buffersFor(count) {
  if (cached?.u32.length !== count) {
    cached = {
      u32: new Uint32Array(count),
      refB: new Float64Array(count),
      refH: new Float64Array(count),
      bits: new Uint16Array(count),
      wide: new Float32Array(count),
      work: new Float32Array(count),
    };
  }
  return cached;
}

/** All fp32 patterns in [start, start + count): narrowing, widening back, in-place rounding. */
export function checkF32Range(core, engines, start, count) {
  const tally = new Tally();
  const { u32, refB, refH, bits, wide, work } = buffersFor(count);
  for (let i = 0; i < count; i++) u32[i] = start + i;
  const f32 = new Float32Array(u32.buffer);
  const tRef = timed(() => roundAllF32(f32, refB, refH));
  tally.add('reference (scalar, f64 arithmetic)', count, 0, tRef, []);
  const negative = (i) => u32[i] >= 2147483648;
  const describe = (i) => `f32 ${hex(u32[i], 8)}`;
  const wideU32 = new Uint32Array(wide.buffer);
  for (const engine of engines) {
    core.setConversionEngine(engine === 'wasm-simd' ? 'auto' : 'js');
    for (const [f, narrow, widen, dtype, ref] of [
      [BF, core.f32ToBf16, core.bf16ToF32, 'bfloat16', refB],
      [FP, core.f32ToF16, core.f16ToF32, 'float16', refH],
    ]) {
      let t = timed(() => narrow(f32, bits));
      let r = compareHalf(bits, ref, negative, f, describe);
      tally.add(`f32->${f.name} all 2^32 [${engine}]`, count, r.bad, t, r.examples);
      t = timed(() => widen(bits, wide));
      r = compareWiden(bits, wide, wideU32, f);
      tally.add(`${f.name}->f32 of each result [${engine}]`, count, r.bad, t, r.examples);
      work.set(f32);
      t = timed(() => core.roundToHalfInPlace(work, dtype));
      r = compareValues(work, ref, describe);
      tally.add(
        `roundToHalfInPlace f32 ${f.name} all 2^32 [${engine}]`,
        count,
        r.bad,
        t,
        r.examples,
      );
    }
  }
  // The scalar helpers on every 16th pattern (they are the slow path; 2^28 calls each).
  for (const [f, scalar, ref] of [
    [BF, core.f32ToBf16Bits, refB],
    [FP, core.f32ToF16Bits, refH],
  ]) {
    const n = count / 16;
    const got = new Uint16Array(n);
    const t = timed(() => {
      for (let j = 0; j < n; j++) got[j] = scalar(f32[16 * j]);
    });
    const every16th = new Float64Array(n);
    for (let j = 0; j < n; j++) every16th[j] = ref[16 * j];
    const r = compareHalf(
      got,
      every16th,
      (j) => negative(16 * j),
      f,
      (j) => describe(16 * j),
    );
    tally.add(`scalar ${scalar.name} every 16th of 2^32`, n, r.bad, t, r.examples);
  }
  return tally.checks;
}

/** Every 16-bit pattern widened to fp32 and f64, plus the scalar decoders. */
export function checkWidenAll(core, engines) {
  const tally = new Tally();
  const bits = new Uint16Array(65536);
  for (let h = 0; h < 65536; h++) bits[h] = h;
  for (const engine of engines) {
    core.setConversionEngine(engine === 'wasm-simd' ? 'auto' : 'js');
    for (const [f, to32, to64] of [
      [BF, core.bf16ToF32, core.bf16ToF64],
      [FP, core.f16ToF32, core.f16ToF64],
    ]) {
      const wide = new Float32Array(65536);
      let t = timed(() => to32(bits, wide));
      let r = compareWiden(bits, wide, new Uint32Array(wide.buffer), f);
      tally.add(`${f.name}->f32 all 65536 [${engine}]`, 65536, r.bad, t, r.examples);
      const wide64 = new Float64Array(65536);
      t = timed(() => to64(bits, wide64));
      r = compareWiden(bits, wide64, null, f);
      tally.add(`${f.name}->f64 all 65536 [${engine}]`, 65536, r.bad, t, r.examples);
    }
  }
  for (const [f, scalar] of [
    [BF, core.bf16BitsToF32],
    [FP, core.f16BitsToF32],
  ]) {
    const got = new Float64Array(65536);
    const t = timed(() => {
      for (let h = 0; h < 65536; h++) got[h] = scalar(h);
    });
    const r = compareValues(got, DECODE[f === BF ? 'bf16' : 'f16'], (h) => hex(h, 4));
    tally.add(`scalar ${scalar.name} all 65536`, 65536, r.bad, t, r.examples);
  }
  return tally.checks;
}

/** Doubles for the f64 -> half checks: edges first, then seeded random batches. */
export function makeDoubles(seed, count) {
  const random = prng(seed);
  const out = new Float64Array(count);
  const words = new Uint32Array(out.buffer);
  const edges = edgeDoubles();
  let i = 0;
  if (seed === 1) for (; i < edges.length && i < count; i++) out[i] = edges[i];
  for (; i < count; i++) {
    const kind = i % 4;
    if (kind === 0) {
      // any bit pattern (NaNs with payloads and signs included)
      words[2 * i] = random() * 4294967296;
      words[2 * i + 1] = random() * 4294967296;
    } else if (kind === 1) {
      // half-relevant magnitudes, full 53-bit mantissas
      const e = Math.floor(random() * 300) - 160;
      out[i] = (random() < 0.5 ? -1 : 1) * (1 + random() + random() * 2 ** -26) * 2 ** e;
    } else {
      // at, just above and just below a rounding tie of bf16 (kind 2) or fp16 (kind 3)
      const f = kind === 2 ? BF : FP;
      const h = Math.floor(random() * 65536);
      const v = decodeValue(h, f);
      if (!Number.isFinite(v)) continue;
      const a = Math.abs(v);
      const exp = a === 0 ? f.emin : Math.max(exponentOf(a), f.emin);
      const tie = a + 2 ** (exp - f.p + 1) / 2;
      const nudge = [0, 2 ** -60, -(2 ** -60), 2 ** -30, -(2 ** -30), 2 ** -52, -(2 ** -52)];
      out[i] = (v < 0 ? -1 : 1) * tie * (1 + nudge[Math.floor(random() * nudge.length)]);
    }
  }
  return out;
}

function edgeDoubles() {
  const list = [0, -0, Infinity, -Infinity, Number.NaN, Number.MAX_VALUE, Number.MIN_VALUE];
  const more = [65504, 65519, 65519.99999999, 65520, 65520.0000001, 3.3895313892515355e38];
  more.push(3.3961776e38, 3.3961775e38, 2 ** 128, 2 ** -24, 2 ** -25, 2 ** -133, 2 ** -134);
  more.push(2 ** -25 * (1 + 2 ** -40), 2 ** -134 * (1 + 2 ** -40), 2 ** -14, 2 ** -126, 2 ** -149);
  more.push(16777217, 2147483647, -2147483648, 1 + 2 ** -8 + 2 ** -40, 1 + 2 ** -11 + 2 ** -50);
  more.push(1 + 2 ** -8 + 2 ** -24, 1 + 2 ** -11 + 2 ** -24, 3.4028234663852886e38, 1e-300, 1e300);
  for (const x of more) list.push(x, -x, x * (1 + 2 ** -52), x * (1 - 2 ** -53));
  return list;
}

/** A batch of doubles: f64ToBf16 / f64ToF16 / roundToHalfInPlace(f64) / scalar helpers. */
export function checkF64Batch(core, engines, seed, count) {
  const tally = new Tally();
  const src = makeDoubles(seed, count);
  const hiWords = new Uint32Array(src.buffer);
  const negative = (i) => hiWords[2 * i + 1] >= 2147483648;
  const describe = (i) => `f64 ${src[i]} (${hex(hiWords[2 * i + 1], 8)}${hex(hiWords[2 * i], 8)})`;
  const ref = { bf16: new Float64Array(count), f16: new Float64Array(count) };
  for (let i = 0; i < count; i++) {
    ref.bf16[i] = roundValue(src[i], BF);
    ref.f16[i] = roundValue(src[i], FP);
  }
  const bits = new Uint16Array(count);
  const work = new Float64Array(count);
  for (const engine of engines) {
    core.setConversionEngine(engine === 'wasm-simd' ? 'auto' : 'js');
    for (const [f, narrow, dtype, key] of [
      [BF, core.f64ToBf16, 'bfloat16', 'bf16'],
      [FP, core.f64ToF16, 'float16', 'f16'],
    ]) {
      let t = timed(() => narrow(src, bits));
      let r = compareHalf(bits, ref[key], negative, f, describe);
      tally.add(`f64->${f.name} random+edges [${engine}]`, count, r.bad, t, r.examples);
      work.set(src);
      t = timed(() => core.roundToHalfInPlace(work, dtype));
      r = compareValues(work, ref[key], describe);
      tally.add(`roundToHalfInPlace f64 ${f.name} [${engine}]`, count, r.bad, t, r.examples);
    }
  }
  for (const [f, scalar, key] of [
    [BF, core.f64ToBf16Bits, 'bf16'],
    [FP, core.f64ToF16Bits, 'f16'],
  ]) {
    const t = timed(() => {
      for (let i = 0; i < count; i++) bits[i] = scalar(src[i]);
    });
    const r = compareHalf(bits, ref[key], negative, f, describe);
    tally.add(`scalar ${scalar.name} random+edges`, count, r.bad, t, r.examples);
    const got = new Float64Array(count);
    const dtype = key === 'bf16' ? 'bfloat16' : 'float16';
    const t2 = timed(() => {
      for (let i = 0; i < count; i++) got[i] = core.roundToDtype(src[i], dtype);
    });
    const r2 = compareValues(got, ref[key], describe);
    tally.add(`scalar roundToDtype(x, '${dtype}') random+edges`, count, r2.bad, t2, r2.examples);
  }
  return tally.checks;
}
