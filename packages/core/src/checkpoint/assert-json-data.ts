/**
 * Checks that a value survives `JSON.stringify` unchanged. Plain `JSON.stringify` silently drops
 * `undefined` and functions, writes NaN as null and a typed array as an object of indices; in a
 * checkpoint that would be a quiet loss of state, so those are refused instead.
 */
import { CheckpointError } from '../errors/checkpoint-error.js';

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null)
    return `a ${value.constructor?.name ?? 'null-prototype object'}`;
  return typeof value;
}

/**
 * Throws unless `value` is JSON data: null, booleans, finite numbers, strings, arrays and plain
 * objects of those. `path` names the value in the message (`metadata.optimizer.state[3]`).
 * @throws CheckpointError naming the path, what it holds and what to do instead.
 */
export function assertJsonData(value: unknown, path: string, context: string): void {
  const seen = new Set<object>();
  const visit = (v: unknown, at: string): void => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number' && Number.isFinite(v)) return;
    if (typeof v === 'object') {
      if (seen.has(v)) throw refuse(at, 'a circular reference');
      const proto = Object.getPrototypeOf(v);
      if (Array.isArray(v)) {
        seen.add(v);
        // An index loop, not forEach: holes must be visited (and refused as undefined).
        for (let i = 0; i < v.length; i++) visit(v[i], `${at}[${i}]`);
        seen.delete(v);
        return;
      }
      if (proto === Object.prototype || proto === null) {
        seen.add(v);
        for (const [key, item] of Object.entries(v)) visit(item, `${at}.${key}`);
        seen.delete(v);
        return;
      }
    }
    throw refuse(at, describe(v));
  };
  const refuse = (at: string, what: string) =>
    new CheckpointError(
      `${context}: ${at} is ${what}; expected JSON data (null, boolean, finite number, string, array or plain object). Store tensors in contents.tensors and encode other values as strings or numbers`,
    );
  visit(value, path);
}
