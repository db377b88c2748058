import { DtypeError } from '../errors/dtype-error.js';
import { describeValue } from '../util/check-option-keys.js';
import { closestMatch } from '../util/did-you-mean.js';
import { DTYPE_NAMES, DTYPES, type DType, type FloatDType } from './dtypes.js';

/**
 * Spellings from other libraries that are NOT accepted (mixprec has one name per dtype), used
 * only to suggest the mixprec name in the error. Edit distance alone cannot get from `'bf16'`
 * to `'bfloat16'`.
 */
const FOREIGN_SPELLINGS: Readonly<Record<string, DType>> = Object.freeze({
  bf16: 'bfloat16',
  fp16: 'float16',
  f16: 'float16',
  half: 'float16',
  fp32: 'float32',
  f32: 'float32',
  float: 'float32',
  single: 'float32',
  fp64: 'float64',
  f64: 'float64',
  double: 'float64',
  i8: 'int8',
  u8: 'uint8',
  i16: 'int16',
  short: 'int16',
  i32: 'int32',
  int: 'int32',
  boolean: 'bool',
});

/** The mixprec dtype name closest to `value` (`'bf16'` → `'bfloat16'`), if one is likely meant. */
export function suggestDtype(value: unknown): DType | undefined {
  if (typeof value !== 'string') return undefined;
  // `torch.bfloat16`, `np.float32`, `tf.float16`: the part after the module prefix.
  const bare = value
    .trim()
    .toLowerCase()
    .replace(/^(torch|np|numpy|tf|jnp)\./, '');
  if (Object.hasOwn(FOREIGN_SPELLINGS, bare)) return FOREIGN_SPELLINGS[bare];
  if (Object.hasOwn(DTYPES, bare)) return bare as DType;
  return closestMatch(bare, DTYPE_NAMES) as DType | undefined;
}

/** Options of `checkDtype`. */
export interface CheckDtypeOptions {
  /** Only floating dtypes are accepted (float32, float16, bfloat16, float64). */
  readonly floating?: boolean;
  /** How the message names the value (default `"dtype"`, e.g. `"option 'dtype'"`). */
  readonly what?: string;
}

const FLOAT_NAMES = DTYPE_NAMES.filter((d) => DTYPES[d].isFloat);

/**
 * `value` as a dtype, or a `DtypeError` naming `where`, the value, the accepted names and the
 * closest one: `randn: dtype 'bf16' is not a mixprec dtype; did you mean 'bfloat16'? Accepted
 * dtypes: float32, float16, ...`. Aliases are never accepted, only suggested.
 */
export function checkDtype(
  where: string,
  value: unknown,
  options: { floating: true; what?: string },
): FloatDType;
export function checkDtype(where: string, value: unknown, options?: CheckDtypeOptions): DType;
export function checkDtype(where: string, value: unknown, options: CheckDtypeOptions = {}): DType {
  const what = options.what ?? 'dtype';
  const accepted = options.floating ? FLOAT_NAMES : DTYPE_NAMES;
  const shown = typeof value === 'string' ? `'${value}'` : describeValue(value);
  if (typeof value === 'string' && Object.hasOwn(DTYPES, value)) {
    if (!options.floating || DTYPES[value as DType].isFloat) return value as DType;
    throw new DtypeError(
      `${where}: ${what} ${shown}; expected a floating dtype (${accepted.join(', ')})`,
    );
  }
  const match = suggestDtype(value);
  const hint =
    match !== undefined && accepted.includes(match)
      ? `; did you mean '${match}'? Accepted dtypes: `
      : '; accepted dtypes: ';
  throw new DtypeError(
    `${where}: ${what} ${shown} is not a mixprec${options.floating ? ' floating' : ''} dtype${hint}${accepted.join(', ')}`,
  );
}
