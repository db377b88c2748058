export { BackendError } from './backend-error.js';
export { CheckpointError } from './checkpoint-error.js';
export { DtypeError } from './dtype-error.js';
export { MixprecError, markerCheck } from './mixprec-error.js';
export type { OptionsErrorDetails } from './options-error.js';
export { OptionsError } from './options-error.js';
export { ShapeMismatchError } from './shape-mismatch-error.js';
export { UnsupportedDtypeError } from './unsupported-dtype-error.js';
