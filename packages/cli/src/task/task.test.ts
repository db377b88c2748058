import { setBackend } from '@mixt/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLASS_NAMES, CLIP_SAMPLES, createAudioDataset } from './audio-dataset.js';
import { createFrontEndPlan, logMelFeatures } from './front-end.js';

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
async function rawRows(split: 'train' | 'val', size: number) {
  const ds = createAudioDataset({ seed: 7, size, split });
  const x: Float64Array[] = [];
  const y: number[] = [];
  for (let i = 0; i < size; i++) {
    const ex = ds.example(i);
    x.push(Float64Array.from({ length: CLIP_SAMPLES / 8 }, (_v, j) => ex.audio[j * 8]));
    y.push(ex.label);
  }
  return { x, y };
}

/**
 * Time-pooled front-end rows: per band the mean, the std and first-half minus second-half mean
 * (so rising and falling chirps differ). Pitch is random within overlapping ranges, so the rows
 * are first aligned on the loudest band (a shift along the mel axis, which on a log-frequency
 * scale moves a harmonic pattern without changing it) and the means taken relative to that
 * peak (removing loudness); without this a centroid, an average over pitches, describes no
 * clip well.
 */
/** Bands kept either side of the peak: farther ones hold only background noise. */
const REACH = 5;

function pooledRow(feats: Float32Array, b: number, bands: number, frames: number): Float64Array {
  const at = (m: number, f: number) => feats[(b * bands + m) * frames + f];
  // Pool over the frames the event occupies (from the first to the last frame whose loudest band
  // is within ~17 dB of the clip's loudest): onset, duration and padding vary at random and would otherwise swamp the stats.
  const loudest = Array.from({ length: frames }, (_v, f) => {
    let best = Number.NEGATIVE_INFINITY;
    for (let m = 0; m < bands; m++) best = Math.max(best, at(m, f));
    return best;
  });
  const top = Math.max(...loudest);
  const on = loudest.flatMap((v, f) => (v > top - 4 ? [f] : []));
  // Every frame from the first to the last loud one, so tremolo troughs stay in.
  const active = Array.from({ length: on[on.length - 1] - on[0] + 1 }, (_v, i) => on[0] + i);
  const half = active.length >> 1;
  const mean = new Float64Array(bands);
  const std = new Float64Array(bands);
  const slope = new Float64Array(bands);
  for (let m = 0; m < bands; m++) {
    let [s, s2, first] = [0, 0, 0];
    active.forEach((f, i) => {
      const v = at(m, f);
      s += v;
      s2 += v * v;
      if (i < half) first += v;
    });
    const n = active.length;
    mean[m] = s / n;
    std[m] = Math.sqrt(Math.max(0, s2 / n - mean[m] ** 2));
    slope[m] = half > 0 ? first / half - (s - first) / (n - half) : 0;
  }
  const peak = mean.indexOf(Math.max(...mean));
  const floor = Math.min(...mean) - mean[peak];
  const width = 2 * REACH + 1;
  const row = new Float64Array(3 * width);
  for (let o = 0; o < width; o++) {
    const m = peak + o - REACH;
    const inside = m >= 0 && m < bands;
    row[o] = inside ? mean[m] - mean[peak] : floor;
    row[width + o] = inside ? std[m] : 0;
    row[2 * width + o] = inside ? slope[m] : 0;
  }
  return row;
}

async function featureRows(split: 'train' | 'val', size: number) {
  const ds = createAudioDataset({ seed: 7, size, split });
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

describe('task difficulty (nearest class centroid)', () => {
  it('is near chance on raw waveforms and good on pooled log-mel features', async () => {
    const [trainSize, valSize] = [540, 270];
    const { accuracy: rawAcc } = centroidAccuracy(
      await rawRows('train', trainSize),
      await rawRows('val', valSize),
      CLASS_NAMES.length,
    );
    const { accuracy: featAcc, confusion } = centroidAccuracy(
      await featureRows('train', trainSize),
      await featureRows('val', valSize),
      CLASS_NAMES.length,
    );
    console.log(`centroid accuracy: raw ${rawAcc.toFixed(3)}, features ${featAcc.toFixed(3)}`);
    console.log(JSON.stringify(confusion));
    expect(rawAcc).toBeLessThan(0.35);
    expect(featAcc).toBeGreaterThanOrEqual(0.8);
  });
});
