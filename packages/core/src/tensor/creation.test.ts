import { describe, expect, it } from 'vitest';
import { DtypeError } from '../errors/dtype-error.js';
import { OptionsError } from '../errors/options-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { arange, fromArray, full, ones, rand, randn, zeros } from './creation.js';
import type { Tensor } from './tensor.js';

/** Every creation function, called with the options under test. */
const CREATORS: [string, (options: object) => Tensor][] = [
  ['zeros', (o) => zeros([2], o)],
  ['ones', (o) => ones([2], o)],
  ['full', (o) => full([2], 3, o)],
  ['arange', (o) => arange(0, 3, 1, o)],
  ['fromArray', (o) => fromArray([1, 2], o)],
  ['rand', (o) => rand([2], { seed: 1, ...o })],
  ['randn', (o) => randn([2], { seed: 1, ...o })],
];

describe('creation functions', () => {
  it.each(CREATORS)(
    '%s reports an unknown dtype with DtypeError, the names and the closest',
    (name, create) => {
      const call = () => create({ dtype: 'bf16' });
      expect(call).toThrow(DtypeError);
      expect(call).toThrow(
        `${name}: dtype 'bf16' is not a mixprec dtype; did you mean 'bfloat16'? Accepted dtypes: float32, float16, bfloat16, float64, int8, uint8, int16, int32, bool`,
      );
      expect(() => create({ dtype: 'flaot32' })).toThrow(
        `${name}: dtype 'flaot32' is not a mixprec dtype; did you mean 'float32'?`,
      );
    },
  );

  it.each(CREATORS)('%s refuses an unknown option, naming it', (name, create) => {
    const call = () => create({ dtyp: 'float32' });
    expect(call).toThrow(OptionsError);
    expect(call).toThrow(
      `${name}: unknown option 'dtyp' (did you mean 'dtype'?); accepted options: dtype`,
    );
  });

  it.each(CREATORS)('%s still creates with a valid dtype', (_name, create) => {
    expect(create({ dtype: 'float16' }).dtype).toBe('float16');
  });

  it.each([
    ['zeros', () => zeros([2], null as never)],
    ['fromArray', () => fromArray([1], 'float32' as never)],
    ['randn', () => randn([2], 5 as never)],
  ])('%s refuses options that are not an object', (name, call) => {
    expect(call).toThrow(OptionsError);
    expect(call).toThrow(`${name}: options is`);
  });

  it('random creators need an integer seed and a floating dtype', () => {
    expect(() => (randn as unknown as (s: number[]) => Tensor)([2])).toThrow(
      'randn: options are missing; expected { seed }',
    );
    expect(() => rand([2], { seed: 1.5 })).toThrow(
      "rand: option 'seed' is 1.5; expected an integer",
    );
    expect(() => rand([2], {} as never)).toThrow("rand: option 'seed' is undefined");
    expect(() => randn([2], { seed: 1, dtype: 'int32' })).toThrow(DtypeError);
  });

  it('fromArray takes shape, checked as an array', () => {
    expect(fromArray([1, 2, 3, 4], { shape: [2, 2] }).shape).toEqual([2, 2]);
    expect(() => fromArray([1, 2], { shape: 2 } as never)).toThrow(
      "fromArray: option 'shape' is 2; expected an array",
    );
  });

  it('item() of a tensor with several elements is a ShapeMismatchError, not a RangeError', async () => {
    await expect(zeros([2]).item()).rejects.toThrow(ShapeMismatchError);
    await expect(zeros([2]).item()).rejects.toThrow(
      'item: tensor of shape [2] has 2 elements; expected exactly 1',
    );
  });
});
