import { suggestDtype } from '../dtype/check-dtype.js';
import type { DType } from '../dtype/dtypes.js';
import { DtypeError } from '../errors/dtype-error.js';
import { MixprecError } from '../errors/mixprec-error.js';
import { OptionsError } from '../errors/options-error.js';
import type { LazyNode } from '../graph/node.js';
import type { AutocastCategory, OpName } from '../ops/catalogue.js';
import { checkOptions, describeValue, optionSpec } from '../util/check-option-keys.js';
import { type AutocastBackendLike, type AutocastDevice, autocastPolicyTable } from './policy.js';

/**
 * Autocast region state. Recording is synchronous, so a module-level "current region" is the
 * equivalent of torch's thread-local state: `autocast` swaps it in and restores it in
 * `finally`. The cast cache is shared by nested regions and cleared when the outermost exits.
 */

/** The dtypes autocast can run lower-precision ops in. */
export type AutocastDtype = 'bfloat16' | 'float16';

/** Options of `autocast`. */
export interface AutocastOptions {
  /** `false` turns autocast off for the region (an inner region can disable an outer one). Default true. */
  readonly enabled?: boolean;
  /** Which of torch's op lists to follow (docs/precision.md#autocast-policy). Default 'cuda'. */
  readonly device?: AutocastDevice;
  /** Share casts of the same fp32 leaf within the outermost region. Default: the enclosing region's setting, true at top level. */
  readonly cacheEnabled?: boolean;
  /** A backend whose `capabilities.autocastOverrides` are applied on top of the device table. */
  readonly backend?: AutocastBackendLike;
}

const AUTOCAST_OPTIONS = optionSpec<AutocastOptions>({
  enabled: 'boolean',
  device: 'any',
  cacheEnabled: 'boolean',
  backend: {
    expected: 'a backend (an object with capabilities)',
    test: (v) => typeof (v as AutocastBackendLike)?.capabilities === 'object',
  },
});

/** The policy in force while ops are recorded. */
export interface AutocastRegion {
  readonly enabled: boolean;
  readonly dtype: AutocastDtype;
  readonly table: Readonly<Record<OpName, AutocastCategory>>;
  readonly cacheEnabled: boolean;
}

let current: AutocastRegion | undefined;
let nesting = 0;
/** Cast cache: `${source node id}:${dtype}` → the shared cast node. */
const cache = new Map<string, LazyNode>();

/** The region in force, or undefined when no enabled autocast region is active. */
export function activeRegion(): AutocastRegion | undefined {
  return current?.enabled ? current : undefined;
}

/** The cast cache (internal to the autocast engine). */
export function castCache(): Map<string, LazyNode> {
  return cache;
}

/** Whether ops recorded now are autocast. */
export function isAutocastEnabled(): boolean {
  return activeRegion() !== undefined;
}

/** The lower-precision dtype of the enabled region in force; undefined outside one. */
export function getAutocastDtype(): AutocastDtype | undefined {
  return activeRegion()?.dtype;
}

/** Drops every shared cast (torch's `clear_autocast_cache`); regions do this on outermost exit. */
export function clearAutocastCache(): void {
  cache.clear();
}

/** Swaps in `region` for the duration of `fn`, keeping the nesting count and the cache's lifetime. */
function withRegion<T>(region: AutocastRegion | undefined, fn: () => T): T {
  const saved = current;
  current = region;
  nesting++;
  try {
    return fn();
  } finally {
    nesting--;
    if (nesting === 0) cache.clear();
    current = saved;
  }
}

/**
 * Runs `fn` with ops recorded under the autocast policy: lower-precision ops (matmul) get
 * their fp32 inputs cast to `dtype`, fp32 ops (softmax, log, exp, sum, ...) their half inputs
 * cast to fp32, promote ops a common dtype. Returns `fn`'s result; the previous policy is
 * restored even if `fn` throws. An inner region overrides the outer one for its extent
 * (`enabled: false` disables it). `fn` must record synchronously: ops recorded after an
 * `await` inside `fn` run after the region has ended and are not autocast.
 *
 * @example
 * const y = autocast('bfloat16', () => model.forward(x)); // y is bfloat16
 * const loss = y.cast('float32').square().mean();        // outside: no autocast
 */
export function autocast<T>(dtype: AutocastDtype, fn: () => T, options: AutocastOptions = {}): T {
  if (dtype !== 'bfloat16' && dtype !== 'float16') {
    const match = suggestDtype(dtype);
    const hint = match === 'bfloat16' || match === 'float16' ? ` (did you mean '${match}'?)` : '';
    throw new DtypeError(
      `autocast: dtype '${String(dtype)}' is not an autocast dtype${hint}; expected 'bfloat16' or 'float16'`,
    );
  }
  if (typeof fn !== 'function') {
    throw new MixprecError(
      `autocast: argument 'fn' is ${describeValue(fn)}; expected a function to run`,
    );
  }
  options = checkOptions('autocast', options, AUTOCAST_OPTIONS);
  const device = options.device ?? 'cuda';
  if (device !== 'cuda' && device !== 'cpu') {
    throw new OptionsError(
      `autocast: option 'device' is ${describeValue(device)}; expected 'cuda' or 'cpu'`,
      { where: 'autocast' },
    );
  }
  const region: AutocastRegion = {
    enabled: options.enabled ?? true,
    dtype,
    table: autocastPolicyTable(device, options.backend),
    cacheEnabled: options.cacheEnabled ?? current?.cacheEnabled ?? true,
  };
  return withRegion(region, fn);
}

/**
 * Runs `fn` with autocast suspended (no policy, no casts), keeping the outer region's cache.
 * Autograd records backward ops through this, so a backward graph is never autocast.
 */
export function withoutAutocast<T>(fn: () => T): T {
  return current === undefined ? fn() : withRegion(undefined, fn);
}

/** Whether `dtype` may be autocast at all: floating and not float64 (torch never autocasts fp64). */
export function isAutocastEligible(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'bfloat16' || dtype === 'float16';
}
