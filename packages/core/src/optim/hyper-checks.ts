import { MixprecError } from '../errors/mixprec-error.js';

/**
 * Validation of optimizer hyper-parameters with torch's messages ("Invalid learning rate: -1"),
 * prefixed by the optimizer's name and followed by what was expected, so a user who knows
 * torch recognises the error and one who does not learns the rule.
 */

/** `value` as a number, or a `MixprecError` naming the optimizer, the key and what arrived. */
export function numberHyper(optimizer: string, key: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new MixprecError(
      `${optimizer}: hyper-parameter '${key}' is ${JSON.stringify(value)}; expected a number`,
    );
  }
  return value;
}

/** `value` as a boolean, or a `MixprecError` naming the optimizer, the key and what arrived. */
export function booleanHyper(optimizer: string, key: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new MixprecError(
      `${optimizer}: hyper-parameter '${key}' is ${JSON.stringify(value)}; expected a boolean`,
    );
  }
  return value;
}

/**
 * Throws torch's `Invalid <what>: <value>` unless `lo <= value` (and `value < hi` when `hi` is
 * given). NaN fails every check.
 */
export function checkRange(
  optimizer: string,
  what: string,
  value: number,
  expected: string,
  lo: number,
  hi?: number,
): void {
  const ok = value >= lo && (hi === undefined || value < hi);
  if (!ok) throw new MixprecError(`${optimizer}: Invalid ${what}: ${value}; expected ${expected}`);
}

/** Checks a learning rate the way every torch optimizer does. */
export function checkLr(optimizer: string, lr: unknown): void {
  checkRange(optimizer, 'learning rate', numberHyper(optimizer, 'lr', lr), 'lr >= 0', 0);
}
