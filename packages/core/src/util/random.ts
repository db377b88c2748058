import { MixprecError } from '../errors/mixprec-error.js';

/**
 * A small seeded generator (xoshiro128**, seeded through splitmix32): the same seed gives
 * the same tensors on every backend because core generates them on the host.
 */
export class Random {
  private s: Uint32Array;

  constructor(seed: number) {
    if (!Number.isInteger(seed))
      throw new MixprecError(
        `Random: seed is ${JSON.stringify(seed) ?? String(seed)}; expected an integer`,
      );
    this.s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32 spreads a small seed over the whole state.
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A standard normal sample (Box-Muller; the sine branch is discarded for simplicity of state). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** The generator state, for checkpoints. */
  getState(): number[] {
    return Array.from(this.s);
  }

  /** Restores a state from `getState`. */
  setState(state: readonly number[]): void {
    if (!Array.isArray(state) || state.length !== 4 || !state.every(Number.isInteger))
      throw new MixprecError(
        `Random.setState: got ${Array.isArray(state) ? `${state.length} words` : String(state)}; expected 4 integer words from getState()`,
      );
    this.s = Uint32Array.from(state);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

let generator = new Random(0);

/**
 * Seeds the default generator that module initialization (and anything else that needs
 * randomness without an explicit seed) draws from, like `torch.manual_seed`.
 */
export function manualSeed(seed: number): void {
  generator = new Random(seed);
}

/** The default generator (see `manualSeed`). */
export function defaultGenerator(): Random {
  return generator;
}
