import { describe, expect, it } from 'vitest';
import { DtypeError } from '../errors/dtype-error.js';
import { checkDtype, suggestDtype } from './check-dtype.js';
import { DTYPE_NAMES } from './dtypes.js';

describe('checkDtype', () => {
  it.each(DTYPE_NAMES)('accepts %s', (d) => {
    expect(checkDtype('f', d)).toBe(d);
  });

  it('refuses an unknown name with the accepted names and the closest one', () => {
    const call = () => checkDtype('randn', 'bf16');
    expect(call).toThrow(DtypeError);
    expect(call).toThrow(
      "randn: dtype 'bf16' is not a mixprec dtype; did you mean 'bfloat16'? Accepted dtypes: float32, float16, bfloat16, float64, int8, uint8, int16, int32, bool",
    );
  });

  it('accepts no alias: other libraries spellings are only suggested', () => {
    expect(() => checkDtype('f', 'fp16')).toThrow("did you mean 'float16'?");
    expect(() => checkDtype('f', 'torch.float32')).toThrow("did you mean 'float32'?");
    expect(() => checkDtype('f', 'Float32')).toThrow("did you mean 'float32'?");
    expect(() => checkDtype('f', 'flaot16')).toThrow("did you mean 'float16'?");
  });

  it('says only the accepted names when nothing is close, and describes non-strings', () => {
    expect(() => checkDtype('f', 'complex128')).toThrow(
      "f: dtype 'complex128' is not a mixprec dtype; accepted dtypes: float32,",
    );
    expect(() => checkDtype('f', 32)).toThrow('f: dtype 32 is not a mixprec dtype');
    expect(() => checkDtype('f', undefined)).toThrow(DtypeError);
  });

  it('floating: refuses integer dtypes and suggests only floating ones', () => {
    expect(checkDtype('f', 'float16', { floating: true })).toBe('float16');
    expect(() => checkDtype('f', 'int8', { floating: true })).toThrow(
      "f: dtype 'int8'; expected a floating dtype (float32, float16, bfloat16, float64)",
    );
    expect(() => checkDtype('f', 'int', { floating: true })).toThrow(
      "f: dtype 'int' is not a mixprec floating dtype; accepted dtypes: float32, float16, bfloat16, float64",
    );
  });

  it('suggestDtype', () => {
    expect(suggestDtype('bf16')).toBe('bfloat16');
    expect(suggestDtype('double')).toBe('float64');
    expect(suggestDtype('np.int32')).toBe('int32');
    expect(suggestDtype('xyz')).toBeUndefined();
    expect(suggestDtype(3)).toBeUndefined();
  });
});
