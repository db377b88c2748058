// The built-in audio task of `mixprec train`. Barrel: re-exports only.

export type {
  AudioBatch,
  AudioDataset,
  AudioDatasetOptions,
  AudioExample,
  BatchOptions,
  ClassName,
} from './audio-dataset.js';
export { CLASS_NAMES, CLIP_SAMPLES, createAudioDataset, synthesizeClip } from './audio-dataset.js';
export { SAMPLE_RATE } from './audio-synth.js';
export type { DefaultModelOptions } from './default-model.js';
export { AudioFrontEnd, createDefaultModel, DefaultAudioModel } from './default-model.js';
export type {
  FrontEndMatrices,
  FrontEndOptions,
  FrontEndPlan,
  FrontEndTensors,
} from './front-end.js';
export { createFrontEndMatrices, createFrontEndPlan, logMelFeatures } from './front-end.js';
