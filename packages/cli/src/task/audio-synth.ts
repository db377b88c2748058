/**
 * Signal generators for the built-in audio task: one function per class, each writing one
 * clip into a zeroed Float32Array. Kept apart from `audio-dataset.ts` so the dataset file
 * holds only the bookkeeping (seeds, balance, batching).
 *
 * Why a sine table instead of `Math.sin`: a clip has up to ~130k oscillator samples (a
 * harmonic stack), and a table lookup with linear interpolation is several times faster
 * while being exact enough (error < 1e-7) for features computed in fp32.
 */
import type { Random } from '@mixprec/core';

/** Sample rate of every clip, in Hz. */
export const SAMPLE_RATE = 16_000;

const TABLE_SIZE = 4096;
/** One sine cycle plus a guard entry so interpolation never wraps inside the loop. */
const SINE = Float64Array.from({ length: TABLE_SIZE + 1 }, (_v, i) =>
  Math.sin((2 * Math.PI * i) / TABLE_SIZE),
);

/** sin(2π·phase) for a phase in cycles (any real; the fractional part is used). */
function sine(phase: number): number {
  const p = (phase - Math.floor(phase)) * TABLE_SIZE;
  const i = p | 0;
  const f = p - i;
  return SINE[i] + (SINE[i + 1] - SINE[i]) * f;
}

/** Where and how loud the event sits inside the clip; drawn once per clip. */
export interface EventSpan {
  /** First sample of the event. */
  readonly start: number;
  /** One past the last sample of the event (≤ the clip length). */
  readonly end: number;
  /** Peak amplitude. */
  readonly amplitude: number;
}

/** A uniform draw in [lo, hi). */
export function between(rng: Random, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.uniform();
}

/** A log-uniform draw in [lo, hi): pitches are spread evenly in octaves, as the ear hears them. */
export function logBetween(rng: Random, lo: number, hi: number): number {
  return lo * (hi / lo) ** rng.uniform();
}

/**
 * Adds a sinusoid whose frequency follows `freqAt(t)` (t in seconds from the event start)
 * with envelope `gainAt(t)`, by accumulating phase so frequency changes stay continuous.
 */
function addOscillator(
  out: Float32Array,
  span: EventSpan,
  freqAt: (t: number) => number,
  gainAt: (t: number) => number,
  phase0: number,
): void {
  let phase = phase0;
  for (let n = span.start; n < span.end; n++) {
    const t = (n - span.start) / SAMPLE_RATE;
    out[n] += gainAt(t) * sine(phase);
    phase += freqAt(t) / SAMPLE_RATE;
  }
}

/** A 10 ms raised ramp at both ends of the event, so onsets are not broadband clicks. */
function ramp(span: EventSpan): (t: number) => number {
  const dur = (span.end - span.start) / SAMPLE_RATE;
  const edge = Math.min(0.01, dur / 4);
  return (t) => Math.min(1, t / edge, (dur - t) / edge);
}

const flat = (hz: number) => () => hz;

/** Class 0: one steady tone. */
export function pureTone(out: Float32Array, span: EventSpan, rng: Random): void {
  const f = logBetween(rng, 200, 2000);
  const env = ramp(span);
  addOscillator(out, span, flat(f), (t) => span.amplitude * env(t), rng.uniform());
}

/** Classes 1 and 2: an exponential sweep over 0.6–1.6 octaves, up or down. */
export function chirp(out: Float32Array, span: EventSpan, rng: Random, rising: boolean): void {
  const lo = logBetween(rng, 200, 900);
  const hi = lo * 2 ** between(rng, 0.6, 1.6);
  const [f0, f1] = rising ? [lo, hi] : [hi, lo];
  const dur = (span.end - span.start) / SAMPLE_RATE;
  const env = ramp(span);
  addOscillator(
    out,
    span,
    (t) => f0 * (f1 / f0) ** (t / dur),
    (t) => span.amplitude * env(t),
    rng.uniform(),
  );
}

/** Class 3: a harmonic stack (4–8 partials, random spectral tilt) on one fundamental. */
export function harmonicStack(out: Float32Array, span: EventSpan, rng: Random): void {
  const f0 = logBetween(rng, 150, 700);
  const partials = 4 + Math.floor(rng.uniform() * 5);
  const tilt = between(rng, 0.65, 0.95);
  const env = ramp(span);
  let norm = 0;
  for (let k = 1; k <= partials; k++) norm += tilt ** (k - 1);
  for (let k = 1; k <= partials && k * f0 < 7000; k++) {
    const g = (span.amplitude * tilt ** (k - 1)) / norm;
    addOscillator(out, span, flat(k * f0), (t) => g * env(t), rng.uniform());
  }
}

/**
 * Class 4: band-limited noise. White noise through two cascaded resonant band-passes
 * (RBJ biquads): O(T) work and a clear band, unlike the broadband background noise.
 */
export function noiseBurst(out: Float32Array, span: EventSpan, rng: Random): void {
  const fc = logBetween(rng, 400, 3000);
  const q = between(rng, 1.5, 4);
  const w = (2 * Math.PI * fc) / SAMPLE_RATE;
  const alpha = Math.sin(w) / (2 * q);
  const a0 = 1 + alpha;
  const [b0, a1, a2] = [alpha / a0, (-2 * Math.cos(w)) / a0, (1 - alpha) / a0];
  const env = ramp(span);
  const len = span.end - span.start;
  const buf = new Float32Array(len);
  for (let i = 0; i < len; i++) buf[i] = rng.uniform() * 2 - 1;
  for (let pass = 0; pass < 2; pass++) {
    let x1 = 0;
    let x2 = 0;
    let y1 = 0;
    let y2 = 0;
    for (let i = 0; i < len; i++) {
      const x = buf[i];
      const y = b0 * x - b0 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      buf[i] = y;
    }
  }
  let peak = 1e-9;
  for (let i = 0; i < len; i++) peak = Math.max(peak, Math.abs(buf[i]));
  const g = span.amplitude / peak;
  for (let i = 0; i < len; i++) out[span.start + i] += g * env(i / SAMPLE_RATE) * buf[i];
}

/** Class 5: an amplitude-modulated tone (tremolo at 4–10 Hz, depth 0.85–1). */
export function amTone(out: Float32Array, span: EventSpan, rng: Random): void {
  const f = logBetween(rng, 250, 2000);
  const rate = between(rng, 4, 10);
  const depth = between(rng, 0.85, 1);
  const mPhase = rng.uniform();
  const env = ramp(span);
  const gain = (t: number) =>
    span.amplitude * env(t) * (1 - depth * 0.5 * (1 + sine(rate * t + mPhase)));
  addOscillator(out, span, flat(f), gain, rng.uniform());
}

/** Class 6: a vibrato (FM) tone: ±8–16% frequency swing at 3–8 Hz. */
export function vibratoTone(out: Float32Array, span: EventSpan, rng: Random): void {
  const f = logBetween(rng, 250, 2000);
  const rate = between(rng, 3, 8);
  const swing = between(rng, 0.08, 0.16);
  const mPhase = rng.uniform();
  const env = ramp(span);
  addOscillator(
    out,
    span,
    (t) => f * (1 + swing * sine(rate * t + mPhase)),
    (t) => span.amplitude * env(t),
    rng.uniform(),
  );
}

/** Class 7: a click train: 6–30 clicks a second, each a 3 ms decaying resonance at 1–4 kHz. */
export function clickTrain(out: Float32Array, span: EventSpan, rng: Random): void {
  const period = Math.round(SAMPLE_RATE / between(rng, 6, 30));
  const ring = logBetween(rng, 1000, 4000) / SAMPLE_RATE;
  const decay = Math.exp(-1 / (0.003 * SAMPLE_RATE));
  const clickLen = Math.min(period, 240);
  for (let c = span.start + Math.floor(rng.uniform() * period); c < span.end; c += period) {
    let g = span.amplitude;
    const phase = rng.uniform();
    for (let i = 0; i < clickLen && c + i < span.end; i++) {
      out[c + i] += g * sine(phase + ring * i);
      g *= decay;
    }
  }
}

/** Class 8: a two-tone chord; the interval (fifth to major seventh) keeps it from being a stack. */
export function twoToneChord(out: Float32Array, span: EventSpan, rng: Random): void {
  const f1 = logBetween(rng, 200, 1200);
  const f2 = f1 * 2 ** (Math.floor(between(rng, 7, 12)) / 12);
  const env = ramp(span);
  const g = span.amplitude / 2;
  addOscillator(out, span, flat(f1), (t) => g * env(t), rng.uniform());
  addOscillator(out, span, flat(f2), (t) => g * env(t), rng.uniform());
}
