/**
 * The default model of the built-in audio task: the fixed fp32 log-mel front end followed by a
 * small 1-D convolutional classifier. Small on purpose: one training step must stay cheap on
 * the pure-TS reference backend, and the front end (no trainable parameters) dominates it.
 */
import {
  Conv1d,
  concat,
  fromArray,
  GELU,
  Linear,
  Module,
  manualSeed,
  type Tensor,
  withoutAutocast,
} from '@mixprec/core';
import { CLASS_NAMES } from './audio-dataset.js';
import {
  createFrontEndMatrices,
  type FrontEndOptions,
  type FrontEndTensors,
  logMelFeatures,
} from './front-end.js';

/**
 * The log-mel front end as a module: the DFT and filterbank matrices are buffers, not
 * parameters, so optimizers never see them. They are not persistent either: they follow from
 * the options, so checkpoints need not carry ~0.4 MB of constants.
 */
export class AudioFrontEnd extends Module {
  /** Samples per clip the front end expects. */
  readonly samples: number;
  /** Hop between frames. */
  readonly hop: number;
  /** Frames per clip (the time axis of the output). */
  readonly numFrames: number;
  /** Mel bands (the channel axis of the output). */
  readonly bands: number;

  constructor(options: FrontEndOptions = {}) {
    super();
    const m = createFrontEndMatrices(options);
    this.samples = m.samples;
    this.hop = m.hop;
    this.numFrames = m.numFrames;
    this.bands = m.bands;
    const fixed = { persistent: false };
    this.registerBuffer(
      'dft',
      fromArray(m.dft, { shape: [m.frameLength, 2 * m.bins], dtype: 'float32' }),
      fixed,
    );
    this.registerBuffer(
      'mel',
      fromArray(m.mel, { shape: [2 * m.bins, m.bands], dtype: 'float32' }),
      fixed,
    );
  }

  /** float32 audio [B, samples] → float32 log-mel [B, bands, numFrames]. */
  override forward(audio: Tensor): Tensor {
    // Cast back to fp32 in case a whole-model dtype conversion narrowed the buffers: log of
    // small powers needs fp32, whatever precision the classifier runs in.
    const plan: FrontEndTensors = {
      samples: this.samples,
      hop: this.hop,
      numFrames: this.numFrames,
      bands: this.bands,
      dft: this.buffer('dft').cast('float32'),
      mel: this.buffer('mel').cast('float32'),
    };
    // Outside autocast: a mixed-precision region would otherwise run the DFT matmul in half.
    return withoutAutocast(() => logMelFeatures(audio.cast('float32'), plan));
  }
}

/** Options of {@link createDefaultModel}. */
export interface DefaultModelOptions {
  /** Output classes (default: the built-in task's nine). */
  readonly numClasses?: number;
  /** Seed of the parameter initialization (reseeds the default generator, like torch). */
  readonly seed: number;
  /** Convolution channels (default 64). */
  readonly channels?: number;
  /** Front-end options (default 400-sample frames, 32 mel bands up to 4.5 kHz). */
  readonly frontEnd?: FrontEndOptions;
}

/**
 * Front end → per-clip level normalization → Conv1d(bands, C, 5, stride 2) → GELU →
 * Conv1d(C, C, 3) → GELU → [mean, max, std] over time → Linear(3C, classes). Pooling over time
 * makes the logits independent of where the event sits.
 */
export class DefaultAudioModel extends Module {
  readonly frontEnd: AudioFrontEnd;
  readonly conv1: Conv1d;
  readonly act1: GELU;
  readonly conv2: Conv1d;
  readonly act2: GELU;
  readonly head: Linear;

  constructor(numClasses: number, channels: number, frontEnd: FrontEndOptions) {
    super();
    this.frontEnd = new AudioFrontEnd(frontEnd);
    this.conv1 = new Conv1d(this.frontEnd.bands, channels, 5, { stride: 2 });
    this.act1 = new GELU();
    this.conv2 = new Conv1d(channels, channels, 3);
    this.act2 = new GELU();
    this.head = new Linear(3 * channels, numClasses);
  }

  /** float32 audio [B, samples] → logits [B, numClasses]. */
  override forward(audio: Tensor): Tensor {
    return this.classify(this.frontEnd.forward(audio));
  }

  /**
   * The trainable part on precomputed features [B, bands, frames] → logits. The front end has
   * no parameters, so a training loop may compute features once per clip and call this.
   */
  classify(features: Tensor): Tensor {
    // Loudness varies by ~24 dB between clips: removing each clip's mean log power leaves the
    // spectro-temporal shape, and the fixed 1/4 brings log powers (±10) near unit scale.
    // The normalization runs in fp32; the classifier then runs in its parameters' dtype
    // (half in the true-half and flash modes), as the front end's output is always fp32.
    const x = features
      .sub(features.mean([1, 2], true))
      .mul(0.25)
      .cast(this.conv1.weight.dtype);
    const h1 = this.act1.forward(this.conv1.forward(x));
    const h2 = this.act2.forward(this.conv2.forward(h1));
    // Mean, max and std over time: the mean sees sustained patterns, the max short events
    // (clicks, a brief burst) that a mean over mostly-silent frames dilutes, and the std
    // modulation (tremolo), which a mean of a steady and a wobbling tone cannot tell apart.
    const mean = h2.mean(2, true);
    const centred = h2.sub(mean);
    // The 1e-5 keeps sqrt's gradient finite for a channel that is constant over time.
    const std = centred.mul(centred).mean(2).add(1e-5).sqrt();
    return this.head.forward(concat([mean.reshape([-1, h2.shape[1]]), h2.max(2), std], 1));
  }
}

/** The built-in task's default model, initialized from `seed`. */
export function createDefaultModel(options: DefaultModelOptions): DefaultAudioModel {
  const numClasses = options.numClasses ?? CLASS_NAMES.length;
  if (!Number.isInteger(numClasses) || numClasses < 2)
    throw new RangeError(`createDefaultModel: numClasses ${numClasses}; expected an integer >= 2`);
  manualSeed(options.seed);
  return new DefaultAudioModel(numClasses, options.channels ?? 64, options.frontEnd ?? {});
}
