import type { BackendCapabilities } from '../backend/backend.js';
import { BackendError } from '../errors/backend-error.js';
import { type AutocastCategory, OP_NAMES, OPS, type OpName } from '../ops/catalogue.js';
import { didYouMean } from '../util/did-you-mean.js';

/**
 * The autocast op → category table, as data (docs/precision.md#autocast-policy). The 'cuda' variant is
 * the catalogue's `autocast` field (which follows torch's CUDA lists); 'cpu' applies the
 * overrides below on top. A backend's `capabilities.autocastOverrides` go on top of either.
 */

/** Which of torch's per-device op lists the policy follows. */
export type AutocastDevice = 'cuda' | 'cpu';

/**
 * torch's CPU lists differ from CUDA's for these mixprec ops: CPU autocast does not force fp32
 * for exp/log/rsqrt/pow/sum/softmax/log_softmax (they run in whatever dtype arrives). The
 * other mixprec ops have the same category on both (matmul is lower precision on both; cat is
 * promote on both; unlisted elementwise ops keep ordinary type promotion).
 */
export const CPU_AUTOCAST_OVERRIDES: Readonly<Partial<Record<OpName, AutocastCategory>>> =
  Object.freeze({
    exp: 'unchanged',
    log: 'unchanged',
    rsqrt: 'unchanged',
    pow: 'unchanged',
    sum: 'unchanged',
    softmax: 'unchanged',
    logSoftmax: 'unchanged',
  });

/** Backend overrides, as far as the policy needs to know a backend. */
export interface AutocastBackendLike {
  readonly capabilities: Pick<BackendCapabilities, 'autocastOverrides'>;
}

/**
 * The full table in force for a device variant and optional backend: every op's category.
 * Built once per region (not per op), so recording stays a map lookup.
 */
export function autocastPolicyTable(
  device: AutocastDevice = 'cuda',
  backend?: AutocastBackendLike,
): Readonly<Record<OpName, AutocastCategory>> {
  const table = {} as Record<OpName, AutocastCategory>;
  for (const op of OP_NAMES) table[op] = OPS[op].autocast;
  if (device === 'cpu') Object.assign(table, CPU_AUTOCAST_OVERRIDES);
  const overrides = backend?.capabilities.autocastOverrides;
  if (overrides !== undefined) {
    for (const [op, category] of Object.entries(overrides)) {
      // A backend may only re-categorize ops the catalogue has; a typo must not pass silently.
      if (!Object.hasOwn(OPS, op)) {
        throw new BackendError(
          `autocast: backend override names op '${op}', which is not in the op catalogue${didYouMean(op, OP_NAMES)}; expected one of ${OP_NAMES.join(', ')}`,
        );
      }
      if (category !== undefined) table[op as OpName] = category;
    }
  }
  // Explicit casts are never rewritten, whatever an override says: a cast is the user's dtype choice.
  table.cast = 'unchanged';
  return Object.freeze(table);
}
