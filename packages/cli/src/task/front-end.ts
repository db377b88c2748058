/**
 * The fp32 log-mel front end of the built-in audio task, written with mixprec tensor ops only so
 * that it runs (and is differentiable, though nothing here is trained) on every backend.
 *
 *   audio [B, T] → frames [B·F, 400] → (Hann · DFT) matmul → [B·F, 2K] → square
 *     → mel matmul with the filterbank stacked twice → [B·F, bands] → log(x + 1e-6)
 *     → [B, bands, F]  (channels-first, ready for Conv1d)
 *
 * Cost choices (why it looks like this):
 * - Framing 400/200 (25 ms / 12.5 ms) is exactly two hops, so frames are the concatenation of
 *   two one-hop-offset views of the clip reshaped to [B, F+1, 200]: no gather, no index tensor.
 *   Any even frame length works the same way (`frameLength`; the hop is always half of it).
 *   400 rather than 512 cuts the matmul's rows × taps cost; the 40 Hz bins still resolve the
 *   lowest bands well enough (measured: ~1.3× the samples/s of 512 / 6 kHz, no accuracy lost).
 * - The Hann window is folded into the DFT matrix (diag(w)·C), saving an elementwise op.
 * - Only the bins the filterbank reads (up to `fmaxHz`, default 4.5 kHz: the classes' energy
 *   sits below ~4 kHz, see `audio-synth.ts`) get DFT columns, so the big matmul is
 *   [B·79, 400] × [400, 2·K] with K = 113 rather than 2·201 columns.
 * - re² + im² summed through the mel matmul: [re², im²] · [M; M] = (re² + im²) · M, so the
 *   power spectrum never needs a slice-and-add.
 */
import { concat, fromArray, type Tensor } from '@mixprec/core';
import { CLIP_SAMPLES } from './audio-dataset.js';
import { SAMPLE_RATE } from './audio-synth.js';

/** Options of {@link createFrontEndMatrices}. */
export interface FrontEndOptions {
  /** Samples per frame, even; the hop is half of it (default 400: 25 ms frames, 12.5 ms hop). */
  readonly frameLength?: number;
  /** Mel bands (default 32). */
  readonly bands?: number;
  /** Lowest filter edge in Hz (default 100). */
  readonly fminHz?: number;
  /** Highest filter edge in Hz (default 4500); no DFT bin above it is computed. */
  readonly fmaxHz?: number;
  /** Samples per clip (default 16000). */
  readonly samples?: number;
}

/** The fixed host matrices and geometry of the front end. */
export interface FrontEndMatrices {
  /** Samples per frame (default 400). */
  readonly frameLength: number;
  /** Hop between frames: half a frame (default 200). */
  readonly hop: number;
  /** Samples the input must have. */
  readonly samples: number;
  /** Frames per clip: floor(samples / hop) - 1. */
  readonly numFrames: number;
  /** Mel bands. */
  readonly bands: number;
  /** DFT bins kept (bins 1..K). */
  readonly bins: number;
  /** [frameLength, 2·bins]: Hann-windowed cos columns, then sin columns. */
  readonly dft: Float32Array;
  /** [2·bins, bands]: the triangular filterbank, stacked twice. */
  readonly mel: Float32Array;
}

/** The front end's fixed matrices as tensors, created once and reused by every call. */
export interface FrontEndPlan extends Omit<FrontEndMatrices, 'dft' | 'mel'> {
  readonly dft: Tensor;
  readonly mel: Tensor;
}

/** Default frame length: 25 ms at 16 kHz, so the hop is 200 samples (12.5 ms). */
const FRAME_DEFAULT = 400;
/** Default top filter edge: above every class's defining energy (clicks ring up to 4 kHz). */
const FMAX_DEFAULT = 4500;

const hzToMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
const melToHz = (mel: number) => 700 * (10 ** (mel / 2595) - 1);

/** Builds the windowed DFT and mel matrices on the host (fp64 maths, stored fp32). */
export function createFrontEndMatrices(options: FrontEndOptions = {}): FrontEndMatrices {
  const frame = options.frameLength ?? FRAME_DEFAULT;
  const hop = frame / 2;
  const bands = options.bands ?? 32;
  const fmin = options.fminHz ?? 100;
  const fmax = options.fmaxHz ?? FMAX_DEFAULT;
  const samples = options.samples ?? CLIP_SAMPLES;
  if (!(fmin >= 0 && fmin < fmax && fmax <= SAMPLE_RATE / 2)) {
    throw new RangeError(
      `createFrontEndMatrices: fminHz ${fmin}, fmaxHz ${fmax}; expected 0 <= fminHz < fmaxHz <= ${SAMPLE_RATE / 2}`,
    );
  }
  if (!Number.isInteger(bands) || bands < 1)
    throw new RangeError(`createFrontEndMatrices: bands ${bands}; expected a positive integer`);
  if (!Number.isInteger(frame) || frame < 4 || frame % 2 !== 0)
    throw new RangeError(
      `createFrontEndMatrices: frameLength ${frame}; expected an even integer >= 4`,
    );
  if (!Number.isInteger(samples) || samples < frame + hop)
    throw new RangeError(`createFrontEndMatrices: samples ${samples}; expected >= ${frame + hop}`);
  const binHz = SAMPLE_RATE / frame;
  // Bins 1..K: DC carries nothing the filterbank uses (fmin > 0), bins above fmax none either.
  const bins = Math.min(frame / 2, Math.ceil(fmax / binHz));
  const cols = 2 * bins;

  const dft = new Float32Array(frame * cols);
  for (let n = 0; n < frame; n++) {
    // Periodic Hann: the usual STFT choice, so overlapping 50% windows sum to a constant.
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / frame);
    for (let k = 1; k <= bins; k++) {
      const a = (2 * Math.PI * k * n) / frame;
      dft[n * cols + (k - 1)] = w * Math.cos(a);
      dft[n * cols + bins + (k - 1)] = -w * Math.sin(a);
    }
  }

  const edges = Array.from({ length: bands + 2 }, (_v, i) =>
    melToHz(hzToMel(fmin) + ((hzToMel(fmax) - hzToMel(fmin)) * i) / (bands + 1)),
  );
  const mel = new Float32Array(cols * bands);
  for (let m = 0; m < bands; m++) {
    const [lo, mid, hi] = [edges[m], edges[m + 1], edges[m + 2]];
    let total = 0;
    for (let k = 1; k <= bins; k++) {
      const f = k * binHz;
      const weight = Math.max(0, Math.min((f - lo) / (mid - lo), (hi - f) / (hi - mid)));
      mel[(k - 1) * bands + m] = weight;
      total += weight;
    }
    // A band narrower than the bin spacing would read nothing; give it its nearest bin.
    if (total === 0) {
      const k = Math.min(bins, Math.max(1, Math.round(mid / binHz)));
      mel[(k - 1) * bands + m] = 1;
    }
  }
  // Second copy under the sin columns: the matmul then adds re² and im² (see the file doc).
  mel.copyWithin(bins * bands, 0, bins * bands);

  const numFrames = Math.floor(samples / hop) - 1;
  return { frameLength: frame, hop, samples, numFrames, bands, bins, dft, mel };
}

/** Uploads the matrices as float32 tensors (call once; the plan is reused by every batch). */
export function createFrontEndPlan(options: FrontEndOptions = {}): FrontEndPlan {
  const m = createFrontEndMatrices(options);
  return {
    ...m,
    dft: fromArray(m.dft, { shape: [m.frameLength, 2 * m.bins], dtype: 'float32' }),
    mel: fromArray(m.mel, { shape: [2 * m.bins, m.bands], dtype: 'float32' }),
  };
}

/** The geometry plus the two matrices, as `logMelFeatures` needs them (a plan or a module). */
export type FrontEndTensors = Pick<FrontEndPlan, 'hop' | 'samples' | 'numFrames' | 'bands'> & {
  readonly dft: Tensor;
  readonly mel: Tensor;
};

/**
 * Log-mel features of a batch of clips: audio float32 [B, samples] → float32 [B, bands, F].
 * Computed in float32 whatever autocast is in force would otherwise suggest: callers keep the
 * front end outside low-precision regions because log of small powers needs fp32 range.
 */
export function logMelFeatures(audio: Tensor, plan: FrontEndTensors): Tensor {
  if (audio.rank !== 2 || audio.shape[1] !== plan.samples) {
    throw new RangeError(
      `logMelFeatures: argument 'audio' has shape [${audio.shape.join(',')}]; expected [B, ${plan.samples}]`,
    );
  }
  const batch = audio.shape[0];
  const hops = plan.numFrames + 1;
  const x = audio
    .cast('float32')
    .slice([0, 0], [batch, hops * plan.hop])
    .reshape([batch, hops, plan.hop]);
  // Frame f = hop f followed by hop f+1: two views offset by one hop, joined on the last axis.
  const frames = concat([x.slice([0, 0, 0], [batch, hops - 1]), x.slice([0, 1, 0])], 2);
  const spectrum = frames.reshape([batch * plan.numFrames, 2 * plan.hop]).matmul(plan.dft);
  const power = spectrum.mul(spectrum).matmul(plan.mel);
  return power.add(1e-6).log().reshape([batch, plan.numFrames, plan.bands]).permute([0, 2, 1]);
}
