import { checkDtype } from '../dtype/check-dtype.js';
import { castStorage } from '../dtype/convert.js';
import {
  allocStorage,
  DTYPES,
  type DType,
  isHalf,
  isStorageOf,
  type StorageArray,
} from '../dtype/dtypes.js';
import { DtypeError } from '../errors/dtype-error.js';
import { OptionsError } from '../errors/options-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { formatShape, shapeSize } from '../graph/graph.js';
import { LazyNode } from '../graph/node.js';
import {
  checkOptions,
  describeValue,
  type OptionSpec,
  optionSpec,
} from '../util/check-option-keys.js';
import { Random } from '../util/random.js';
import { getDefaultDtype } from './default-dtype.js';
import { Tensor } from './tensor.js';

/** Options shared by the creation functions. */
export interface CreationOptions {
  /** Element dtype; floating creators default to `getDefaultDtype()` (float32). */
  readonly dtype?: DType;
}

const CREATION_OPTIONS = optionSpec<CreationOptions>({ dtype: 'any' });

/**
 * Checks a creation function's options up front: only known keys, and a dtype that exists
 * (`DtypeError` with the accepted names and the closest one otherwise). Returns the dtype given.
 */
function optionDtype<T extends CreationOptions>(
  fn: string,
  options: T | undefined,
  spec: OptionSpec<T>,
): DType | undefined {
  const { dtype } = checkOptions(fn, options, spec);
  return dtype === undefined ? undefined : checkDtype(fn, dtype);
}

/** A nested array of numbers or booleans (any depth). */
export type NestedArray = number | boolean | readonly NestedArray[];

function checkShape(fn: string, shape: readonly number[]): readonly number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeMismatchError(
      `${fn}: shape ${JSON.stringify(shape)}; expected an array of non-negative integers`,
    );
  }
  return [...shape];
}

/** A tensor whose values are given on the host (an `input` node; uploaded on first use). */
export function inputTensor(data: StorageArray, dtype: DType, shape: readonly number[]): Tensor {
  const node = new LazyNode('input', [], {}, shape, dtype);
  node.hostData = data;
  return new Tensor(node);
}

/** A tensor filled with `value` (rounded to `dtype`). */
export function full(
  shape: readonly number[],
  value: number,
  options: CreationOptions = {},
): Tensor {
  const dtype = optionDtype('full', options, CREATION_OPTIONS) ?? getDefaultDtype();
  const s = checkShape('full', shape);
  return new Tensor(new LazyNode('full', [], { value }, s, dtype));
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[], options: CreationOptions = {}): Tensor {
  optionDtype('zeros', options, CREATION_OPTIONS);
  return full(shape, 0, options);
}

/** A tensor of ones. */
export function ones(shape: readonly number[], options: CreationOptions = {}): Tensor {
  optionDtype('ones', options, CREATION_OPTIONS);
  return full(shape, 1, options);
}

/**
 * `[start, start + step, ...)` up to `stop` (exclusive), like `torch.arange`. Called with one
 * number it is `arange(0, n)`. The dtype defaults to int32 when all arguments are integers.
 */
export function arange(
  start: number,
  stop?: number,
  step = 1,
  options: CreationOptions = {},
): Tensor {
  const given = optionDtype('arange', options, CREATION_OPTIONS);
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  if (!(step !== 0 && Number.isFinite(step) && Number.isFinite(from) && Number.isFinite(to))) {
    throw new ShapeMismatchError(
      `arange: (start ${from}, stop ${to}, step ${step}); expected finite numbers and a non-zero step`,
    );
  }
  const n = Math.max(0, Math.ceil((to - from) / step));
  const allInt = [from, to, step].every(Number.isInteger);
  const dtype = given ?? (allInt ? 'int32' : getDefaultDtype());
  return new Tensor(new LazyNode('arange', [], { start: from, step }, [n], dtype));
}

function flatten(data: NestedArray, fn: string): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0] as NestedArray;
  }
  const values: number[] = [];
  const walk = (x: NestedArray, depth: number) => {
    if (depth === shape.length) {
      if (Array.isArray(x))
        throw new ShapeMismatchError(
          `${fn}: ragged nested array; expected every row at depth ${depth} to be a number`,
        );
      values.push(Number(x));
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) {
      throw new ShapeMismatchError(
        `${fn}: ragged nested array at depth ${depth}; expected length ${shape[depth]}`,
      );
    }
    for (const item of x) walk(item, depth + 1);
  };
  walk(data, 0);
  return { values, shape };
}

const TYPED_DTYPE: ReadonlyArray<[new (n: number) => StorageArray, DType]> = [
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
  [Int32Array, 'int32'],
  [Int16Array, 'int16'],
  [Int8Array, 'int8'],
  [Uint8Array, 'uint8'],
];

/** Options of `fromArray`. */
export interface FromArrayOptions extends CreationOptions {
  /** Shape for flat host data (default: the nested array's shape, or `[length]`). */
  readonly shape?: readonly number[];
}

const FROM_ARRAY_OPTIONS = optionSpec<FromArrayOptions>({ dtype: 'any', shape: 'array' });

/**
 * A tensor from host values (copied). Accepts nested arrays, flat arrays with `shape`, or
 * typed arrays. Numbers are rounded to `dtype` (round-to-nearest-even for halves). A
 * `Uint16Array` with a half `dtype` is taken as bit patterns.
 */
export function fromArray(
  data: NestedArray | ArrayLike<number> | StorageArray,
  options: FromArrayOptions = {},
): Tensor {
  optionDtype('fromArray', options, FROM_ARRAY_OPTIONS);
  let values: StorageArray;
  let from: DType;
  let shape: readonly number[];
  if (ArrayBuffer.isView(data)) {
    const typed = data as StorageArray;
    const kind = TYPED_DTYPE.find(([ctor]) => typed instanceof ctor);
    if (typed instanceof Uint16Array) {
      if (!options.dtype || !isHalf(options.dtype)) {
        throw new DtypeError(
          `fromArray: a Uint16Array needs dtype 'float16' or 'bfloat16' (it is read as bit patterns); got dtype ${options.dtype}`,
        );
      }
      from = options.dtype;
    } else if (kind) {
      from = kind[1];
    } else {
      throw new DtypeError(
        `fromArray: unsupported typed array ${typed.constructor.name}; expected Float32Array, Float64Array, Int32Array, Int16Array, Int8Array, Uint8Array or Uint16Array (half bits)`,
      );
    }
    values = typed.slice();
    shape = options.shape ?? [typed.length];
  } else {
    const flat = flatten(data as NestedArray, 'fromArray');
    values = Float64Array.from(flat.values);
    from = 'float64';
    shape = options.shape ?? flat.shape;
    if (options.shape && flat.shape.length > 1) {
      throw new ShapeMismatchError(
        `fromArray: shape ${formatShape(options.shape)} given for a nested array of shape ${formatShape(flat.shape)}; expected a flat array with 'shape'`,
      );
    }
  }
  checkShape('fromArray', shape);
  if (shapeSize(shape) !== values.length) {
    throw new ShapeMismatchError(
      `fromArray: ${values.length} values for shape ${formatShape(shape)} (${shapeSize(shape)} elements); expected equal counts`,
    );
  }
  const dtype =
    options.dtype ?? (from === 'float64' && !ArrayBuffer.isView(data) ? getDefaultDtype() : from);
  const stored = dtype === from ? values : castStorage(values, from, dtype);
  return inputTensor(stored, dtype, shape);
}

/** Options of the seeded random creators. */
export interface RandomOptions extends CreationOptions {
  /** Seed; the same seed gives the same values on every backend. */
  readonly seed: number;
}

const RANDOM_OPTIONS = optionSpec<RandomOptions>({ dtype: 'any', seed: 'any' });

function randomTensor(
  fn: string,
  shape: readonly number[],
  options: RandomOptions,
  draw: (r: Random) => number,
): Tensor {
  if (options === undefined) {
    throw new OptionsError(
      `${fn}: options are missing; expected { seed } (an integer: the same seed gives the same values on every backend)`,
      { where: fn, accepted: Object.keys(RANDOM_OPTIONS) },
    );
  }
  const given = optionDtype(fn, options, RANDOM_OPTIONS);
  if (!Number.isInteger(options.seed)) {
    throw new OptionsError(
      `${fn}: option 'seed' is ${describeValue(options.seed)}; expected an integer (the same seed gives the same values on every backend)`,
      { where: fn },
    );
  }
  const s = checkShape(fn, shape);
  const dtype = given ?? getDefaultDtype();
  if (!DTYPES[dtype].isFloat)
    throw new DtypeError(
      `${fn}: dtype '${dtype}' is not a floating dtype; expected one of float32, float16, bfloat16, float64`,
    );
  const rng = new Random(options.seed);
  const values = allocStorage('float64', shapeSize(s));
  for (let i = 0; i < values.length; i++) values[i] = draw(rng);
  const stored = dtype === 'float64' ? values : castStorage(values, 'float64', dtype);
  if (!isStorageOf(stored, dtype))
    throw new DtypeError(`${fn}: internal storage mismatch for ${dtype}`);
  return inputTensor(stored, dtype, s);
}

/** Uniform samples in [0, 1), seeded. */
export function rand(shape: readonly number[], options: RandomOptions): Tensor {
  return randomTensor('rand', shape, options, (r) => r.uniform());
}

/** Standard normal samples, seeded. */
export function randn(shape: readonly number[], options: RandomOptions): Tensor {
  return randomTensor('randn', shape, options, (r) => r.normal());
}
