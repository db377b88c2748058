/**
 * The dtype table. Every property of a dtype is read from here; nothing else in mixprec keeps a
 * second hand-synced map (storage constructors, sizes, limits and promotion all derive from it).
 */

/** Typed-array constructors used as storage. Half types are stored as their 16-bit patterns. */
export type StorageKind =
  | 'Float32Array'
  | 'Float64Array'
  | 'Uint16Array'
  | 'Int8Array'
  | 'Uint8Array'
  | 'Int16Array'
  | 'Int32Array';

export interface DTypeInfo {
  /** Width of one element in bits. */
  readonly bits: number;
  /** Bytes of storage per element (half types really cost 2). */
  readonly itemSize: number;
  readonly isFloat: boolean;
  readonly isSigned: boolean;
  /** Exponent and explicit mantissa bits (0 for non-float types). */
  readonly exponentBits: number;
  readonly mantissaBits: number;
  /** Machine epsilon: the gap between 1 and the next representable value (1 for integers). */
  readonly eps: number;
  /** Largest finite value. */
  readonly max: number;
  /** Smallest (most negative) finite value. */
  readonly min: number;
  /** Smallest positive normal value (1 for integers). */
  readonly smallestNormal: number;
  /** Smallest positive subnormal value (1 for integers). */
  readonly smallestSubnormal: number;
  /** Typed array that holds the storage. */
  readonly storage: StorageKind;
  /**
   * Promotion rank: a category (0 bool, 1 integer, 2 float) and an order inside it. Used by
   * `leastUpperDtype`; see `promotion.ts`.
   */
  readonly category: 0 | 1 | 2;
}

const float = (
  bits: number,
  exponentBits: number,
  mantissaBits: number,
  storage: StorageKind,
): DTypeInfo => {
  const bias = 2 ** (exponentBits - 1) - 1;
  const maxExp = bias; // exponent of the largest finite value
  const max = (2 - 2 ** -mantissaBits) * 2 ** maxExp;
  return {
    bits,
    itemSize: bits / 8,
    isFloat: true,
    isSigned: true,
    exponentBits,
    mantissaBits,
    eps: 2 ** -mantissaBits,
    max,
    min: -max,
    smallestNormal: 2 ** (1 - bias),
    smallestSubnormal: 2 ** (1 - bias - mantissaBits),
    storage,
    category: 2,
  };
};

const int = (bits: number, isSigned: boolean, storage: StorageKind): DTypeInfo => ({
  bits,
  itemSize: bits / 8,
  isFloat: false,
  isSigned,
  exponentBits: 0,
  mantissaBits: 0,
  eps: 1,
  max: isSigned ? 2 ** (bits - 1) - 1 : 2 ** bits - 1,
  min: isSigned ? -(2 ** (bits - 1)) : 0,
  smallestNormal: 1,
  smallestSubnormal: 1,
  storage,
  category: 1,
});

/** All dtypes of mixprec, frozen. `DType` is the union of its keys. */
export const DTYPES = Object.freeze({
  float32: float(32, 8, 23, 'Float32Array'),
  float16: float(16, 5, 10, 'Uint16Array'),
  bfloat16: float(16, 8, 7, 'Uint16Array'),
  float64: float(64, 11, 52, 'Float64Array'),
  int8: int(8, true, 'Int8Array'),
  uint8: int(8, false, 'Uint8Array'),
  int16: int(16, true, 'Int16Array'),
  int32: int(32, true, 'Int32Array'),
  bool: {
    bits: 8,
    itemSize: 1,
    isFloat: false,
    isSigned: false,
    exponentBits: 0,
    mantissaBits: 0,
    eps: 1,
    max: 1,
    min: 0,
    smallestNormal: 1,
    smallestSubnormal: 1,
    storage: 'Uint8Array',
    category: 0,
  } satisfies DTypeInfo,
} as const satisfies Record<string, DTypeInfo>);

/** A mixprec dtype name. */
export type DType = keyof typeof DTYPES;

/** Every dtype name, in table order. */
export const DTYPE_NAMES = Object.freeze(Object.keys(DTYPES) as DType[]);

/** The 16-bit float dtypes, stored as bit patterns in a `Uint16Array`. */
export type HalfDType = 'float16' | 'bfloat16';
/** Floating dtypes. */
export type FloatDType = 'float32' | 'float16' | 'bfloat16' | 'float64';

/** Typed array holding the storage of each dtype. */
export interface StorageArrayMap {
  float32: Float32Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  float64: Float64Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  int32: Int32Array;
  bool: Uint8Array;
}
/** Any storage typed array. */
export type StorageArray = StorageArrayMap[DType];

const CTORS = {
  Float32Array,
  Float64Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
  Int16Array,
  Int32Array,
} as const;

/** Is `name` a mixprec dtype? */
export function isDType(name: unknown): name is DType {
  return typeof name === 'string' && Object.hasOwn(DTYPES, name);
}

/** The table row of a dtype. */
export function dtypeInfo(dtype: DType): DTypeInfo {
  return DTYPES[dtype];
}

/** True for float16 and bfloat16. */
export function isHalf(dtype: DType): dtype is HalfDType {
  return dtype === 'float16' || dtype === 'bfloat16';
}

/** True for every floating dtype (false for a name that is not a dtype). */
export function isFloatDType(dtype: DType): dtype is FloatDType {
  // An unknown name is not a floating dtype (callers then report it instead of crashing).
  return isDType(dtype) && DTYPES[dtype].isFloat;
}

/** Allocates zeroed storage for `size` elements of `dtype`. */
export function allocStorage<D extends DType>(dtype: D, size: number): StorageArrayMap[D] {
  return new CTORS[DTYPES[dtype].storage](size) as StorageArrayMap[D];
}

/** Whether `array` is the storage typed array of `dtype`. */
export function isStorageOf(array: unknown, dtype: DType): boolean {
  return array instanceof CTORS[DTYPES[dtype].storage];
}
