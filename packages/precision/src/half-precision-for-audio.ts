import { convertAudioAware } from './convert-collection.js';
import { HalfPrecision } from './half-precision.js';

/**
 * NeMo's HalfPrecisionForAudio: HalfPrecision whose input conversion keeps audio. A dict batch
 * keeps every tensor stored under a key containing `"audio"` as it is (recursively through
 * nested dicts), while its other floating tensors go half; any other batch is cast like
 * HalfPrecision does. Use `keepFp32` (e.g. `['frontEnd.*']`) to keep the audio front end's
 * weights fp32 as well, which NeMo cannot express.
 */
export class HalfPrecisionForAudio extends HalfPrecision {
  override convertInput<T>(data: T): T {
    return convertAudioAware(data, this.dtype);
  }
}
