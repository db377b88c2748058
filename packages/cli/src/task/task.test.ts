import { setBackend } from '@mixprec/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AudioDataset,
  CLASS_NAMES,
  CLIP_SAMPLES,
  createAudioDataset,
} from './audio-dataset.js';
import { createFrontEndMatrices, createFrontEndPlan, logMelFeatures } from './front-end.js';

beforeAll(async () => {
  await setBackend('reference');
});

/** FNV-1a over the bytes of a Float32Array: a cheap fingerprint for determinism checks. */
function fingerprint(a: Float32Array): number {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

/**
 * Per-dimension scaling by the pooled within-class std (a diagonal Mahalanobis distance), so a
 * dimension that varies a lot inside a class (say, where a chord's second tone falls) counts
 * less than one that is stable inside a class and differs between classes.
 */
function standardizer(rows: Float64Array[], labels: number[], classes: number) {
  const d = rows[0].length;
  const mu = Array.from({ length: classes }, () => new Float64Array(d));
  const counts = new Array<number>(classes).fill(0);
  rows.forEach((r, j) => {
    counts[labels[j]]++;
    for (let i = 0; i < d; i++) mu[labels[j]][i] += r[i];
  });
  mu.forEach((m, k) => {
    for (let i = 0; i < d; i++) m[i] /= counts[k];
  });
  const sd = new Float64Array(d);
  rows.forEach((r, j) => {
    for (let i = 0; i < d; i++) sd[i] += (r[i] - mu[labels[j]][i]) ** 2 / rows.length;
  });
  for (let i = 0; i < d; i++) sd[i] = Math.sqrt(sd[i]) + 1e-6;
  return (r: Float64Array) => r.map((v, i) => v / sd[i]);
}

/** Accuracy and confusion matrix of a nearest-class-centroid classifier (scaled features). */
function centroidAccuracy(
  train: { x: Float64Array[]; y: number[] },
  test: { x: Float64Array[]; y: number[] },
  classes: number,
): { accuracy: number; confusion: number[][] } {
  const norm = standardizer(train.x, train.y, classes);
  const d = train.x[0].length;
  const centroids = Array.from({ length: classes }, () => new Float64Array(d));
  const counts = new Array<number>(classes).fill(0);
  train.x.forEach((r, j) => {
    const z = norm(r);
    const c = centroids[train.y[j]];
    for (let i = 0; i < d; i++) c[i] += z[i];
    counts[train.y[j]]++;
  });
  centroids.forEach((c, k) => {
    for (let i = 0; i < d; i++) c[i] /= counts[k];
  });
  let correct = 0;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  test.x.forEach((r, j) => {
    const z = norm(r);
    let best = 0;
    let bestDist = Number.POSITIVE_INFINITY;
    centroids.forEach((c, k) => {
      let dist = 0;
      for (let i = 0; i < d; i++) dist += (z[i] - c[i]) ** 2;
      if (dist < bestDist) [best, bestDist] = [k, dist];
    });
    confusion[test.y[j]][best]++;
    if (best === test.y[j]) correct++;
  });
  return { accuracy: correct / test.x.length, confusion };
}

/** Raw-waveform rows: every 8th sample (the full 16000 adds time, not information). */
function rawRows(ds: AudioDataset) {
  const size = ds.size;
  const x: Float64Array[] = [];
  const y: number[] = [];
  for (let i = 0; i < size; i++) {
    const ex = ds.example(i);
    x.push(Float64Array.from({ length: CLIP_SAMPLES / 8 }, (_v, j) => ex.audio[j * 8]));
    y.push(ex.label);
  }
  return { x, y };
}

/** Bands kept either side of the loudest one: farther ones hold mostly background noise. */
const REACH = 3;
/** Frames whose loudest band is within this many nats (~9 dB) of the clip's loudest are "on". */
const ON_NATS = 2;

/**
 * Time-pooled front-end features of clip `b` of a [B, bands, frames] batch, as in the brief:
 * per band the mean, the std and first-half minus second-half mean (so rising and falling
 * chirps differ), pooled over the frames the event occupies (onset, duration and padding are
 * random and would otherwise swamp the statistics). Pitch is random within overlapping
 * ranges, so a centroid of raw per-band rows averages over pitches and describes no clip; the
 * rows are therefore taken relative to the loudest band (a shift along the mel axis, which
 * on a log-frequency scale moves a pattern without changing it; means relative to the peak
 * also remove loudness), plus two pitch-free summaries: the sorted band means (how many bands
 * are strong: tone, chord, stack, noise) and the loudest band's track over time (tremolo
 * depth, vibrato wobble, chirp direction).
 */
function pooledRow(feats: Float32Array, b: number, bands: number, frames: number): Float64Array {
  const at = (m: number, f: number) => feats[(b * bands + m) * frames + f];
  const loudest = Array.from({ length: frames }, (_v, f) => {
    let best = 0;
    for (let m = 1; m < bands; m++) if (at(m, f) > at(best, f)) best = m;
    return best;
  });
  const level = loudest.map((m, f) => at(m, f));
  const top = Math.max(...level);
  const on = level.flatMap((v, f) => (v > top - ON_NATS ? [f] : []));
  // Every frame from the first to the last loud one, so tremolo troughs stay in.
  const active = Array.from({ length: on[on.length - 1] - on[0] + 1 }, (_v, i) => on[0] + i);
  const mean = new Float64Array(bands);
  const std = new Float64Array(bands);
  const slope = new Float64Array(bands);
  for (let m = 0; m < bands; m++) {
    const values = active.map((f) => at(m, f));
    [mean[m], std[m], slope[m]] = [average(values), spread(values), halfDifference(values)];
  }
  const peak = mean.indexOf(Math.max(...mean));
  const floor = Math.min(...mean) - mean[peak];
  const aligned = (stat: Float64Array, outside: number, relative = 0) =>
    Array.from({ length: 2 * REACH + 1 }, (_v, o) => {
      const m = peak + o - REACH;
      return m >= 0 && m < bands ? stat[m] - relative : outside;
    });
  const sorted = [...mean].map((v) => v - mean[peak]).sort((x, y) => y - x);
  const track = active.map((f) => loudest[f]);
  const wobble = average(track.slice(1).map((m, i) => Math.abs(m - track[i])));
  return Float64Array.from([
    ...aligned(mean, floor, mean[peak]),
    ...aligned(std, 0),
    ...aligned(slope, 0),
    ...sorted.slice(0, 12),
    spread(active.map((f) => level[f])),
    wobble,
    spread(track),
    halfDifference(track),
  ]);
}

function average(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, v) => a + v, 0) / values.length;
}

function spread(values: readonly number[]): number {
  const mu = average(values);
  return Math.sqrt(average(values.map((v) => (v - mu) ** 2)));
}

/** Mean of the first half minus mean of the second half (0 for fewer than two values). */
function halfDifference(values: readonly number[]): number {
  const half = values.length >> 1;
  return half === 0 ? 0 : average(values.slice(0, half)) - average(values.slice(half));
}

async function featureRows(ds: AudioDataset) {
  const plan = createFrontEndPlan();
  const x: Float64Array[] = [];
  const y: number[] = [];
  for (const batch of ds.batches(64, { shuffle: false })) {
    const feats = (await logMelFeatures(batch.audio, plan).data()) as Float32Array;
    const labels = (await batch.labels.data()) as Int32Array;
    labels.forEach((label, b) => {
      x.push(pooledRow(feats, b, plan.bands, plan.numFrames));
      y.push(label);
    });
  }
  return { x, y };
}

describe('audio dataset', () => {
  it('is deterministic per seed and differs across seeds and splits', () => {
    const a = createAudioDataset({ seed: 1, size: 20, split: 'train' });
    const b = createAudioDataset({ seed: 1, size: 20, split: 'train' });
    const c = createAudioDataset({ seed: 2, size: 20, split: 'train' });
    const v = createAudioDataset({ seed: 1, size: 20, split: 'val' });
    for (const i of [0, 5, 19]) {
      const fa = fingerprint(a.example(i).audio);
      expect(fingerprint(b.example(i).audio)).toBe(fa);
      expect(fingerprint(c.example(i).audio)).not.toBe(fa);
      expect(fingerprint(v.example(i).audio)).not.toBe(fa);
    }
  });

  it('yields balanced, in-range, correctly shaped batches in a seeded order', async () => {
    const ds = createAudioDataset({ seed: 3, size: 45, split: 'train' });
    const counts = new Array<number>(CLASS_NAMES.length).fill(0);
    const order: number[] = [];
    let short = 0;
    for (const batch of ds.batches(16, { epochSeed: 4 })) {
      const n = batch.labels.shape[0];
      expect(batch.audio.shape).toEqual([n, CLIP_SAMPLES]);
      expect(batch.audio.dtype).toBe('float32');
      expect([batch.audio_lens.dtype, batch.labels.dtype]).toEqual(['int32', 'int32']);
      const labels = (await batch.labels.data()) as Int32Array;
      const lens = (await batch.audio_lens.data()) as Int32Array;
      const audio = (await batch.audio.data()) as Float32Array;
      labels.forEach((l, b) => {
        expect(l).toBeGreaterThanOrEqual(0);
        expect(l).toBeLessThan(CLASS_NAMES.length);
        counts[l]++;
        order.push(l);
        expect(lens[b]).toBeLessThanOrEqual(CLIP_SAMPLES);
        if (lens[b] < CLIP_SAMPLES) short++;
        // Zero padding past the valid length.
        expect(
          audio.subarray(b * CLIP_SAMPLES + lens[b], (b + 1) * CLIP_SAMPLES).every((s) => s === 0),
        ).toBe(true);
      });
    }
    expect(counts).toEqual(new Array(CLASS_NAMES.length).fill(5));
    expect(short).toBeGreaterThan(0);
    const again: number[] = [];
    for (const batch of ds.batches(16, { epochSeed: 4 }))
      again.push(...((await batch.labels.data()) as Int32Array));
    expect(again).toEqual(order);
  });
});

describe('front end', () => {
  it('has 400-sample frames, a 200 hop and bins up to 4.5 kHz by default', () => {
    const m = createFrontEndMatrices();
    expect([m.frameLength, m.hop, m.numFrames, m.bins, m.bands]).toEqual([400, 200, 79, 113, 32]);
    const wide = createFrontEndMatrices({ frameLength: 512, fmaxHz: 6000 });
    expect([wide.frameLength, wide.hop, wide.numFrames, wide.bins]).toEqual([512, 256, 61, 192]);
    expect(() => createFrontEndMatrices({ frameLength: 401 })).toThrow(
      'createFrontEndMatrices: frameLength 401; expected an even integer >= 4',
    );
  });

  it('matches a direct fp64 framing + Hann + DFT + filterbank + log', async () => {
    const ds = createAudioDataset({ seed: 5, size: 2, split: 'val' });
    const m = createFrontEndMatrices();
    const plan = createFrontEndPlan();
    const batch = ds.batches(2, { shuffle: false }).next().value!;
    const got = (await logMelFeatures(batch.audio, plan).data()) as Float32Array;
    expect(got.length).toBe(2 * m.bands * m.numFrames);
    let worst = 0;
    for (let b = 0; b < 2; b++) {
      const audio = ds.example(b).audio;
      for (let f = 0; f < m.numFrames; f += 3) {
        // Power of bins 1..K of frame f (start f·hop), straight from the definitions.
        const power = Array.from({ length: m.bins }, (_v, k0) => {
          const k = k0 + 1;
          let [re, im] = [0, 0];
          for (let n = 0; n < m.frameLength; n++) {
            const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / m.frameLength);
            const x = w * audio[f * m.hop + n];
            re += x * Math.cos((2 * Math.PI * k * n) / m.frameLength);
            im -= x * Math.sin((2 * Math.PI * k * n) / m.frameLength);
          }
          return re * re + im * im;
        });
        for (let band = 0; band < m.bands; band++) {
          let e = 0;
          power.forEach((p, k) => {
            e += p * m.mel[k * m.bands + band];
          });
          const diff = Math.abs(Math.log(e + 1e-6) - got[(b * m.bands + band) * m.numFrames + f]);
          // fp32 matmuls over 400 taps: relative power error ~1e-5 where the band has energy.
          if (e > 1e-3) worst = Math.max(worst, diff);
        }
      }
    }
    expect(worst).toBeLessThan(1e-3);
  });
});

describe('task difficulty (nearest class centroid)', () => {
  it('is near chance on raw waveforms and good on pooled log-mel features', async () => {
    // 60 / 30 clips a class; cached so the raw and feature rows share one generation pass.
    const train = createAudioDataset({ seed: 7, size: 540, split: 'train', cache: true });
    const val = createAudioDataset({ seed: 7, size: 270, split: 'val', cache: true });
    const classes = CLASS_NAMES.length;
    const { accuracy: rawAcc } = centroidAccuracy(rawRows(train), rawRows(val), classes);
    const { accuracy: featAcc, confusion } = centroidAccuracy(
      await featureRows(train),
      await featureRows(val),
      classes,
    );
    console.log(`centroid accuracy: raw ${rawAcc.toFixed(3)}, features ${featAcc.toFixed(3)}`);
    console.log(JSON.stringify(confusion));
    expect(rawAcc).toBeLessThan(0.35);
    expect(featAcc).toBeGreaterThanOrEqual(0.8);
  });
});
