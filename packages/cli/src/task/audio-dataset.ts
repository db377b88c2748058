/**
 * The built-in audio task's data: deterministic synthetic 1-second 16 kHz clips in nine
 * classes. Each example is generated from its own seed (dataset seed, split, index), so an
 * example is the same whatever order it is asked for in, and the whole set is bit-identical
 * across runs without storing anything.
 */
import { fromArray, Random, type Tensor } from '@mixprec/core';
import {
  amTone,
  between,
  chirp,
  clickTrain,
  type EventSpan,
  harmonicStack,
  logBetween,
  noiseBurst,
  pureTone,
  SAMPLE_RATE,
  twoToneChord,
  vibratoTone,
} from './audio-synth.js';

/** Samples per clip (1 s at 16 kHz); shorter clips are zero-padded to this. */
export const CLIP_SAMPLES = SAMPLE_RATE;

/** Class names, indexed by label. */
export const CLASS_NAMES = [
  'pure_tone',
  'rising_chirp',
  'falling_chirp',
  'harmonic_stack',
  'noise_burst',
  'am_tone',
  'vibrato_tone',
  'click_train',
  'two_tone_chord',
] as const;

/** One class name. */
export type ClassName = (typeof CLASS_NAMES)[number];

type Synth = (out: Float32Array, span: EventSpan, rng: Random) => void;

/** Generators in label order (must match `CLASS_NAMES`). */
const SYNTHS: readonly Synth[] = [
  pureTone,
  (out, span, rng) => chirp(out, span, rng, true),
  (out, span, rng) => chirp(out, span, rng, false),
  harmonicStack,
  noiseBurst,
  amTone,
  vibratoTone,
  clickTrain,
  twoToneChord,
];

/** A batch as the trainer consumes it. */
export interface AudioBatch {
  /** float32 [B, T] waveforms, zero past each clip's length. */
  readonly audio: Tensor;
  /** int32 [B] valid samples per clip. */
  readonly audio_lens: Tensor;
  /** int32 [B] class labels in [0, CLASS_NAMES.length). */
  readonly labels: Tensor;
}

/** One example on the host. */
export interface AudioExample {
  /** `CLIP_SAMPLES` samples, zero from `length` on. */
  readonly audio: Float32Array;
  /** Valid samples. */
  readonly length: number;
  /** Class label. */
  readonly label: number;
}

/** Options of {@link createAudioDataset}. */
export interface AudioDatasetOptions {
  /** Dataset seed; `train` and `val` derive different example seeds from it. */
  readonly seed: number;
  /** Number of examples; labels cycle through the classes, so the set is balanced. */
  readonly size: number;
  /** Which split; the same seed gives disjoint streams for the two. */
  readonly split: 'train' | 'val';
  /** Keep generated clips in memory (size × 64 KB) instead of regenerating each epoch. */
  readonly cache?: boolean;
}

/** Options of {@link AudioDataset.batches}. */
export interface BatchOptions {
  /** Shuffle the order (default true). */
  readonly shuffle?: boolean;
  /** Seed of this epoch's order; vary it per epoch (default 0). */
  readonly epochSeed?: number;
  /** Drop a final batch smaller than `batchSize` (default false). */
  readonly dropLast?: boolean;
}

/** A deterministic synthetic dataset; see {@link createAudioDataset}. */
export interface AudioDataset {
  readonly size: number;
  readonly numClasses: number;
  /** The example at `index`, generated from its own seed (or taken from the cache). */
  example(index: number): AudioExample;
  /** Batches of mixprec tensors covering the set once, in a seeded order. */
  batches(batchSize: number, options?: BatchOptions): Generator<AudioBatch>;
}

/** A 32-bit integer mix (murmur3 finalizer), so nearby indices get unrelated seeds. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

const SPLIT_SALT = { train: 0x1badb002, val: 0x5eed0a1 } as const;

/** Writes one clip of class `label` into a fresh buffer, drawing everything from `rng`. */
export function synthesizeClip(label: number, rng: Random): AudioExample {
  const synth = SYNTHS[label];
  if (synth === undefined) {
    throw new RangeError(
      `synthesizeClip: label ${label}; expected an integer in [0, ${SYNTHS.length})`,
    );
  }
  const audio = new Float32Array(CLIP_SAMPLES);
  // A quarter of the clips are cut short, so audio_lens matters and padding is exercised.
  const length =
    rng.uniform() < 0.25 ? Math.floor(between(rng, 0.6, 1) * CLIP_SAMPLES) : CLIP_SAMPLES;
  const duration = Math.min(length, Math.floor(between(rng, 0.35, 0.9) * SAMPLE_RATE));
  const start = Math.floor(rng.uniform() * (length - duration + 1));
  const span = { start, end: start + duration, amplitude: logBetween(rng, 0.05, 0.8) };
  synth(audio, span, rng);

  // Background noise at a random SNR relative to the event's own power.
  let power = 0;
  for (let n = span.start; n < span.end; n++) power += audio[n] * audio[n];
  const rms = Math.sqrt(power / Math.max(1, duration));
  const noiseStd = rms / 10 ** (between(rng, 5, 30) / 20);
  for (let n = 0; n < length; n++) audio[n] += noiseStd * rng.normal();
  return { audio, length, label };
}

/**
 * A deterministic synthetic dataset of 1-second clips (see the CLI README, "Built-in task").
 * Example `i` has label `i % CLASS_NAMES.length` and is generated from a seed mixed from
 * (`seed`, `split`, `i`), so results never depend on access order.
 */
export function createAudioDataset(options: AudioDatasetOptions): AudioDataset {
  const { seed, size, split } = options;
  if (!Number.isInteger(seed))
    throw new TypeError(`createAudioDataset: seed ${seed}; expected an integer`);
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`createAudioDataset: size ${size}; expected a positive integer`);
  if (split !== 'train' && split !== 'val')
    throw new RangeError(`createAudioDataset: split '${String(split)}'; expected 'train' or 'val'`);
  const base = mix(seed ^ SPLIT_SALT[split]);
  const cache = options.cache ? new Map<number, AudioExample>() : undefined;
  const numClasses = CLASS_NAMES.length;

  const example = (index: number): AudioExample => {
    if (!Number.isInteger(index) || index < 0 || index >= size)
      throw new RangeError(`AudioDataset.example: index ${index}; expected [0, ${size})`);
    const hit = cache?.get(index);
    if (hit) return hit;
    const made = synthesizeClip(index % numClasses, new Random(mix(base + index)));
    cache?.set(index, made);
    return made;
  };

  function* batches(batchSize: number, opts: BatchOptions = {}): Generator<AudioBatch> {
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`AudioDataset.batches: batchSize ${batchSize}; expected >= 1`);
    const order = Int32Array.from({ length: size }, (_v, i) => i);
    if (opts.shuffle ?? true) {
      // Fisher-Yates with the seeded generator: the same epochSeed gives the same order.
      const rng = new Random(mix(base ^ mix(opts.epochSeed ?? 0)));
      for (let i = size - 1; i > 0; i--) {
        const j = rng.nextUint32() % (i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
    }
    for (let from = 0; from < size; from += batchSize) {
      const count = Math.min(batchSize, size - from);
      if (count < batchSize && opts.dropLast) return;
      const audio = new Float32Array(count * CLIP_SAMPLES);
      const lens = new Int32Array(count);
      const labels = new Int32Array(count);
      for (let b = 0; b < count; b++) {
        const ex = example(order[from + b]);
        audio.set(ex.audio, b * CLIP_SAMPLES);
        lens[b] = ex.length;
        labels[b] = ex.label;
      }
      yield {
        audio: fromArray(audio, { shape: [count, CLIP_SAMPLES], dtype: 'float32' }),
        audio_lens: fromArray(lens, { shape: [count], dtype: 'int32' }),
        labels: fromArray(labels, { shape: [count], dtype: 'int32' }),
      };
    }
  }

  return { size, numClasses, example, batches };
}
