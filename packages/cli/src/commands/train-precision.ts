import type { PrecisionPlugin } from '@mixprec/core';
import { createPrecisionPlugin, resolveTrainerCfg } from '@mixprec/precision';

/**
 * The plugin for a precision string, the way NeMo's recipes build it: `resolveTrainerCfg` turns
 * the true-half and flash modes into the audio-aware plugins (the batch's `audio` stays fp32);
 * the other modes come from the precision table. The fp32 log-mel front end stays fp32 in
 * every mode.
 */
export function precisionPluginFor(precision: string, warn: (m: string) => void): PrecisionPlugin {
  const options = { keepFp32: ['frontEnd.*'], warn };
  const resolved = resolveTrainerCfg({ precision }, options);
  const plugin = resolved.plugins?.[0] as PrecisionPlugin | undefined;
  return plugin ?? createPrecisionPlugin(precision, options);
}
