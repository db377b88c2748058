#!/usr/bin/env node
// Usage: node scripts/gen-vectors.mjs OUTDIR [--seed N]
//
// Writes a second, independent set of conformance vectors: casts.json and matmul.json in the
// format of the shipped vectors in packages/core/vectors (same field names, same hex
// conventions; docs/conformance-vectors.md), with different random cases, plus unchanged copies
// of the other shipped files so OUTDIR is a complete vectors directory. Expected values never
// touch mixprec's conversion module: every float is taken apart into an exact integer times a
// power of two (BigInt), products and sums are exact, and each result is rounded ONCE, to
// nearest with ties to even, by roundExact below.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** IEEE binary formats: explicit mantissa bits and exponent bits. */
const FMT = {
  bf16: { p: 7, ebits: 8 },
  fp16: { p: 10, ebits: 5 },
  f32: { p: 23, ebits: 8 },
  f64: { p: 52, ebits: 11 },
};
const biasOf = (f) => 2 ** (f.ebits - 1) - 1;

/** Bits → { nan } | { inf, sign } | { sign, m (BigInt), e } with value (−1)^sign · m · 2^e, exactly. */
function decode(bits, f) {
  const b = BigInt(bits);
  const p = BigInt(f.p);
  const sign = Number((b >> (p + BigInt(f.ebits))) & 1n);
  const field = Number((b >> p) & ((1n << BigInt(f.ebits)) - 1n));
  const mant = b & ((1n << p) - 1n);
  if (field === 2 ** f.ebits - 1) return mant === 0n ? { inf: true, sign } : { nan: true, sign };
  if (field === 0) return { sign, m: mant, e: 1 - biasOf(f) - f.p };
  return { sign, m: mant | (1n << p), e: field - biasOf(f) - f.p };
}

const bitLength = (m) => m.toString(2).length;

/** Rounds an exact value { sign, m, e } to format f: RTNE once, overflow to ±inf, subnormals kept. */
function roundExact(x, f) {
  const p = BigInt(f.p);
  const signBits = BigInt(x.sign) << (p + BigInt(f.ebits));
  if (x.nan) return signBits | (((1n << BigInt(f.ebits)) - 1n) << p) | (1n << (p - 1n));
  if (x.inf) return signBits | (((1n << BigInt(f.ebits)) - 1n) << p);
  if (x.m === 0n) return signBits;
  const emin = 1 - biasOf(f);
  const lead = x.e + bitLength(x.m) - 1; // exponent of the leading bit
  let qe = Math.max(lead, emin) - f.p; // exponent of one unit in the last place
  let r;
  if (x.e >= qe) {
    r = x.m << BigInt(x.e - qe);
  } else {
    const shift = BigInt(qe - x.e);
    r = x.m >> shift;
    const rem = x.m & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (r & 1n) === 1n)) r += 1n;
  }
  if (r === 1n << (p + 1n)) {
    r >>= 1n;
    qe += 1;
  }
  const maxField = 2 ** f.ebits - 1;
  if (r < 1n << p) return signBits | r; // subnormal (or zero after rounding)
  const field = qe + f.p + biasOf(f);
  if (field >= maxField) return signBits | (BigInt(maxField) << p);
  return signBits | (BigInt(field) << p) | (r - (1n << p));
}

const f64View = new DataView(new ArrayBuffer(8));
/** A JS number from float64 bits. */
function f64FromBits(bits) {
  f64View.setBigUint64(0, BigInt.asUintN(64, bits));
  return f64View.getFloat64(0);
}
/** Exact value of a JS number. */
function exactOfNumber(x) {
  f64View.setFloat64(0, x);
  return decode(f64View.getBigUint64(0), FMT.f64);
}
/** The JS number of bits in format f (exact: every bf16/fp16/f32 value is a float64). */
const numberOf = (bits, f) => f64FromBits(roundExact(decode(bits, f), FMT.f64));

const hex = (bits, digits) => BigInt(bits).toString(16).padStart(digits, '0');

/** JSON value of a number the way the golden files write it: strings for non-finite values. */
function jsonNumber(x) {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return Object.is(x, -0) ? NEG_ZERO : x;
}
const NEG_ZERO = '__neg_zero__';

/** Shortest decimal that reads back as the same float32 (the golden 'value' field). */
function f32Decimal(x) {
  if (!Number.isFinite(x) || x === 0) return jsonNumber(x);
  for (let digits = 1; digits <= 9; digits++) {
    const y = Number(x.toPrecision(digits));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

// mulberry32 for bits, two draws per 53-bit uniform; Box-Muller for normals.
function makeRng(seed) {
  let s = seed >>> 0;
  const u32 = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const uniform = () => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992;
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { u32, uniform, normal };
}

/** One casts.json case for an fp32 bit pattern. */
function castCase(bits32, tag, kind) {
  const x = decode(bits32, FMT.f32);
  const f32 = numberOf(bits32, FMT.f32);
  const row = { tag, kind, f32: hex(bits32, 8), value: f32Decimal(f32) };
  for (const name of ['bf16', 'fp16']) {
    // NaN narrows to the quiet NaN with the input's sign (any NaN is accepted when NaN is expected).
    const narrow = x.nan
      ? (BigInt(x.sign) << 15n) | (name === 'bf16' ? 0x7fc0n : 0x7e00n)
      : roundExact(x, FMT[name]);
    row[name] = hex(narrow, 4);
    row[`${name}_value`] = jsonNumber(numberOf(narrow, FMT[name]));
    row[`${name}_to_f32`] = hex(widen(narrow, name), 8);
  }
  return row;
}

/** 16-bit pattern → fp32 bits: exact for values; bf16 NaN is shifted, fp16 NaN is quieted (as F16C). */
function widen(bits16, name) {
  const b = BigInt(bits16);
  if (name === 'bf16') return b << 16n;
  const x = decode(b, FMT.fp16);
  if (x.nan) return (BigInt(x.sign) << 31n) | 0x7fc00000n | ((b & 0x3ffn) << 13n);
  return roundExact(x, FMT.f32);
}

// biome-ignore format: a table of (bits, tag) rows reads best packed
const EDGE_F32 = [
  [0x00000000, '+0'], [0x7f800000, '+inf'], [0x7fc00000, 'nan: canonical quiet'], [0x7f800001, 'nan: signaling, payload 1'],
  [0x7fc1835f, 'nan: random payload'], [0x3f800000, 'one'], [0x7f7fffff, 'fp32 max finite'], [0x00800000, 'fp32/bf16 smallest normal'],
  [0x00000001, 'fp32 smallest subnormal'], [0x007fffff, 'fp32 largest subnormal'], [0x7f7f0000, 'bf16 max finite'],
  [0x7f7f7fff, 'just below bf16 overflow threshold'], [0x7f7f8000, 'bf16 overflow tie -> inf'], [0x7f7f8001, 'just above bf16 overflow threshold'],
  [0x477fe000, 'fp16 max finite'], [0x477fefff, 'just below fp16 overflow threshold'], [0x477ff000, 'fp16 overflow tie -> inf'],
  [0x47800000, '2^16: fp16 overflow'], [0x38800000, 'fp16 smallest normal'], [0x387fc000, 'fp16 largest subnormal'],
  [0x387fe000, 'fp16 tie subnormal/normal -> normal'], [0x33800000, 'fp16 smallest subnormal 2^-24'], [0x33000000, '2^-25: fp16 tie -> 0'],
  [0x33000001, 'just above 2^-25 -> 2^-24'], [0x33400000, '3*2^-26 -> 2^-24'], [0x33c00000, '3*2^-25: fp16 tie -> 2^-23 (even)'],
  [0x3f808000, 'bf16 tie 1+2^-8 -> 1 (even)'], [0x3f818000, 'bf16 tie 1+3*2^-8 -> up (even)'], [0x3f807fff, 'below bf16 tie'],
  [0x3f808001, 'above bf16 tie'], [0x3f801000, 'fp16 tie 1+2^-11 -> 1 (even)'], [0x3f803000, 'fp16 tie 1+3*2^-11 -> up (even)'],
  [0x3f800fff, 'below fp16 tie'], [0x3f801001, 'above fp16 tie'], [0x3fffffff, 'round up across exponent boundary'],
  [0x3fff8000, 'bf16 tie at 2-2^-8 -> 2'], [0x3ffff000, 'fp16 tie at 2-2^-11 -> 2'], [0x00010000, 'bf16 subnormal exactly'],
  [0x00018000, 'bf16 subnormal tie -> even'], [0x00008000, 'half a bf16 subnormal ulp -> 0'], [0x40490fdb, 'pi'], [0x3dcccccd, '0.1'],
];

function castsFile(seed) {
  const rng = makeRng(seed);
  const cases = [];
  for (const [bits, tag] of EDGE_F32) {
    cases.push(castCase(bits, tag, 'edge'));
    const negative = tag.startsWith('+') ? `-${tag.slice(1)}` : `${tag} (negative)`;
    cases.push(castCase((bits | 0x80000000) >>> 0, negative, 'edge'));
  }
  const edges = cases.length;
  for (let i = 0; i < 110; i++)
    cases.push(castCase(rng.u32(), 'random: full fp32 range', 'random'));
  for (let i = 0; i < 110; i++) {
    const exp = -27 + Math.floor(rng.uniform() * 44); // [-27, 16], where fp16 rounding is interesting
    const bits = ((rng.u32() & 0x80000000) | ((exp + 127) << 23) | (rng.u32() & 0x7fffff)) >>> 0;
    cases.push(castCase(bits, 'random: exponent in [-27, 16]', 'random'));
  }
  const widenBits = {
    bf16: [
      0x7f81, 0xff81, 0x7fc1, 0x7fff, 0x0001, 0x8001, 0x007f, 0x0080, 0x7f7f, 0xff7f, 0x7f80,
      0xff80, 0x0000, 0x8000,
    ],
    fp16: [
      0x7c01, 0xfc01, 0x7e00, 0x7d55, 0x7fff, 0x0001, 0x8001, 0x03ff, 0x0400, 0x7bff, 0xfbff,
      0x7c00, 0xfc00, 0x0000, 0x8000,
    ],
  };
  const widenCases = [];
  for (const name of ['bf16', 'fp16']) {
    const all = [...widenBits[name], ...Array.from({ length: 10 }, () => rng.u32() & 0xffff)];
    for (const bits of all) {
      const f32 = widen(bits, name);
      widenCases.push({
        dtype: name,
        bits: hex(bits, 4),
        f32: hex(f32, 8),
        value: f32Decimal(numberOf(f32, FMT.f32)),
      });
    }
  }
  const nanInputs = cases.filter((c) => c.value === 'NaN').length;
  return {
    description:
      "fp32 -> bf16 and fp32 -> fp16 conversions (round to nearest, ties to even) and the widening of the results back to fp32, generated by scripts/gen-vectors.mjs with exact integer arithmetic (each fp32 value taken apart as an integer times a power of two in BigInt, rounded once to nearest-even; overflow to inf, subnormals kept), independent of mixprec's conversion module. Fields per case: f32 (input bits, 8 hex digits), value (shortest decimal that round-trips in float32, informational), bf16 / fp16 (4 hex digits), bf16_value / fp16_value (the rounded value), bf16_to_f32 / fp16_to_f32 (bits after widening the rounded value back to fp32), tag, kind ('edge' or 'random'). Extra array 'widen_cases': 16-bit patterns widened to fp32 (bf16: 16-bit shift; fp16: exact, signalling NaNs quieted as F16C does). How to compare: EXACT bit equality for every non-NaN result, including the sign of zero (-0 -> 0x8000) and infinities. NaN policy: any NaN output is acceptable when the expected output is NaN (and only then); NaN inputs are written as the quiet NaN with the input's sign (bf16 0x7fc0, fp16 0x7e00).",
    meta: {
      set: 'generated',
      seed,
      generator: 'scripts/gen-vectors.mjs (exact BigInt reference)',
      node_version: process.version,
    },
    widen_cases: widenCases,
    stats: { edge: edges, random: cases.length - edges, nan_inputs: nanInputs },
    cases,
  };
}

/** Rounds a JS number to format f (exact value, one rounding) and returns its bits. */
const roundNumber = (x, f) => roundExact(exactOfNumber(x), f);

/** The exact value of Σ_k a_k·b_k for operands given as bits of format f. */
function exactDot(aBits, bBits, f) {
  const terms = aBits.map((a, k) => {
    const x = decode(a, f);
    const y = decode(bBits[k], f);
    return { sign: x.sign ^ y.sign, m: x.m * y.m, e: x.e + y.e };
  });
  const e = Math.min(...terms.map((t) => t.e));
  let total = 0n;
  for (const t of terms) total += (t.sign ? -t.m : t.m) << BigInt(t.e - e);
  return { sign: total < 0n ? 1 : 0, m: total < 0n ? -total : total, e };
}

function matmulCase(rng, name, M, K, N, scales, kind, note, given) {
  const f = FMT[name];
  const draw = (n, scale) => Array.from({ length: n }, () => roundNumber(rng.normal() * scale, f));
  const A = given?.A ?? draw(M * K, scales[0]);
  const B = given?.B ?? draw(K * N, scales[1]);
  const out = { expected: [], expected_value: [], expected_f32: [], exact_f64: [] };
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const exact = exactDot(
        A.slice(i * K, (i + 1) * K),
        Array.from({ length: K }, (_v, k) => B[k * N + j]),
        f,
      );
      const bits = roundExact(exact, f);
      out.expected.push(hex(bits, 4));
      out.expected_value.push(jsonNumber(numberOf(bits, f)));
      out.expected_f32.push(hex(roundExact(exact, FMT.f32), 8));
      out.exact_f64.push(jsonNumber(f64FromBits(roundExact(exact, FMT.f64))));
    }
  }
  return {
    kind,
    note: note ?? `random normal inputs (scales ${scales.join(', ')})`,
    dtype: name,
    M,
    K,
    N,
    A: A.map((b) => hex(b, 4)),
    B: B.map((b) => hex(b, 4)),
    ...out,
  };
}

function matmulFile(seed) {
  const rng = makeRng(seed + 1);
  const bits = (name, values) => values.map((v) => roundNumber(v, FMT[name]));
  const cases = [];
  for (const name of ['bf16', 'fp16']) {
    cases.push(matmulCase(rng, name, 3, 5, 4, [1, 0.5], 'random'));
    cases.push(matmulCase(rng, name, 8, 16, 8, [2, 1], 'random'));
    cases.push(matmulCase(rng, name, 4, 64, 4, [0.5, 1], 'random'));
  }
  cases.push(
    matmulCase(
      rng,
      'bf16',
      1,
      3,
      1,
      [],
      'edge',
      'bf16 cancellation: a running bf16 sum gives 0, exact answer is 1',
      { A: bits('bf16', [512, 1, -512]), B: bits('bf16', [1, 1, 1]) },
    ),
  );
  cases.push(
    matmulCase(
      rng,
      'fp16',
      1,
      2,
      1,
      [],
      'edge',
      'fp16 result overflow: 256*200 + 128*128 = 67584 rounds to +inf',
      { A: bits('fp16', [256, 128]), B: bits('fp16', [200, 128]) },
    ),
  );
  return {
    description:
      "Matrix products C = A @ B (A is MxK, B is KxN, all row-major flat arrays) for dtype bf16 and fp16, generated by scripts/gen-vectors.mjs. Inputs A and B are 16-bit bit patterns (4 hex digits) of random normal values times a scale, rounded to the dtype with an exact RTNE routine; plus hand-made 'edge' cases. Expected output: the EXACT product of the rounded inputs (every value is an integer times a power of two, so products and sums are exact BigInt arithmetic) rounded ONCE, round-to-nearest-even, to the output dtype ('expected', 4 hex digits; overflow gives inf, gradual underflow kept) and to fp32 ('expected_f32', 8 hex digits); 'exact_f64' is the exact value rounded once to float64 (informational). Acceptance rule: a backend that accumulates in fp32 (any summation order) and rounds once to the output dtype must be within 1 ulp of the output dtype of 'expected' for every element (1 ulp = adjacent bit pattern in value order, so e.g. 65504 and +inf are 1 ulp apart; +0 and -0 count as equal). 'expected_f32' is for backends that return fp32 results: compare with |got - expected_f32| <= K * 2^-24 * sum_k |A_ik * B_kj|.",
    meta: {
      set: 'generated',
      seed,
      generator: 'scripts/gen-vectors.mjs (exact BigInt reference)',
      node_version: process.version,
    },
    stats: { cases: cases.length },
    cases,
  };
}

/** Writes JSON in the golden layout: one top-level key per line, one case per line. */
function writeVectors(path, doc) {
  const line = (v) => JSON.stringify(v).replaceAll(`"${NEG_ZERO}"`, '-0.0');
  const parts = Object.entries(doc).map(([key, value]) =>
    key === 'cases'
      ? `  "cases": [\n${value.map((c) => `    ${line(c)}`).join(',\n')}\n  ]`
      : `  ${JSON.stringify(key)}: ${line(value)}`,
  );
  writeFileSync(path, `{\n${parts.join(',\n')}\n}\n`);
}

function main(argv) {
  const args = argv.slice(2);
  const seedAt = args.indexOf('--seed');
  const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : 2;
  const outDir = args.find((a, i) => !a.startsWith('--') && (seedAt < 0 || i !== seedAt + 1));
  if (!outDir || !Number.isInteger(seed)) {
    console.error(
      'usage: node scripts/gen-vectors.mjs OUTDIR [--seed N]  (N an integer; default 2)',
    );
    process.exit(2);
  }
  const golden = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'core', 'vectors');
  mkdirSync(outDir, { recursive: true });
  if (existsSync(golden) && realpathSync(golden) === realpathSync(resolve(outDir))) {
    console.error(`gen-vectors: ${outDir} is the shipped golden directory; choose another OUTDIR`);
    process.exit(2);
  }
  writeVectors(join(outDir, 'casts.json'), castsFile(seed));
  writeVectors(join(outDir, 'matmul.json'), matmulFile(seed));
  const copied = [];
  if (existsSync(golden)) {
    for (const name of readdirSync(golden)) {
      if (!name.endsWith('.json') || name === 'casts.json' || name === 'matmul.json') continue;
      copyFileSync(join(golden, name), join(outDir, name));
      copied.push(name);
    }
  }
  console.log(
    `gen-vectors: wrote casts.json and matmul.json (seed ${seed}) to ${outDir}; copied ${copied.join(', ') || 'nothing'}`,
  );
}

main(process.argv);
