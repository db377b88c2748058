#!/usr/bin/env node
/**
 * Exhaustive-mantissa check of the FlashOptim ECC invariants (docs/flashoptim.md#ecc-invariants)
 * on sampled exponents: for every (narrow dtype, sign, exponent) in ECC_SAMPLED_EXPONENTS all
 * 2^23 fp32 mantissas are encoded with int8 and int16 corrections, and the seven invariant
 * counts are compared with the reference suite's allowances. Prints one table row per configuration; exits 1 if any count
 * exceeds its allowance.
 *
 * Usage: node scripts/verify-ecc-invariants.mjs [--all] [--module=PATH]
 *   --all          sweep every exponent of the invariant tests (bf16 −127…127, fp16 −30…15).
 *   --module=PATH  import the three names from PATH (e.g. an esbuild bundle of the sources)
 *                  instead of the built package (pnpm --filter @mixprec/core build).
 */
import { pathToFileURL } from 'node:url';

const moduleArg = process.argv.find((a) => a.startsWith('--module='));
const target = moduleArg
  ? pathToFileURL(moduleArg.slice('--module='.length)).href
  : new URL('../packages/core/dist/index.js', import.meta.url).href;
const { eccInvariantCounts, ECC_INVARIANT_ALLOWANCES, ECC_SAMPLED_EXPONENTS } = await import(
  target
);

const all = process.argv.includes('--all');
const range = (lo, hi) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
const exponents = all
  ? { bfloat16: range(-127, 127), float16: range(-30, 15) }
  : ECC_SAMPLED_EXPONENTS;
const kindOf = (dtype, k) =>
  (dtype === 'bfloat16' ? k === -127 : k <= -15) ? 'denormal' : 'normal';

const pad = (s, n) => String(s).padStart(n);
console.log(
  `${'dtype'.padEnd(9)} ${pad('sign', 4)} ${pad('k', 5)} ${'kind'.padEnd(8)} ${pad('evaluated', 9)}  ` +
    [1, 2, 3, 4, 5, 6, 7].map((i) => pad(`inv${i}`, 15)).join(' '),
);
const started = performance.now();
let failures = 0;
for (const dtype of ['bfloat16', 'float16']) {
  for (const k of exponents[dtype]) {
    for (const sign of [1, -1]) {
      const kind = kindOf(dtype, k);
      const allowed = ECC_INVARIANT_ALLOWANCES[dtype][kind];
      const { counts, evaluated } = eccInvariantCounts(dtype, sign, k);
      const cells = counts.map((c, i) => {
        const bad = c > allowed[i];
        if (bad) failures++;
        return pad(`${c}/${allowed[i]}${bad ? '!' : ''}`, 15);
      });
      console.log(
        `${dtype.padEnd(9)} ${pad(sign > 0 ? '+' : '-', 4)} ${pad(k, 5)} ${kind.padEnd(8)} ${pad(evaluated, 9)}  ${cells.join(' ')}`,
      );
    }
  }
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (failures > 0) {
  console.error(
    `FAIL: ${failures} invariant count(s) exceed their allowance (marked !) [${seconds} s]`,
  );
  process.exit(1);
}
console.log(`OK: every count (shown as count/allowance) is within its allowance [${seconds} s]`);
