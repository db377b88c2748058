import { OptionsError } from '@mixprec/core';
import { describe, expect, it } from 'vitest';
import { createOrtBackend, loadOrtBackend } from './ort-backend.js';

describe('createOrtBackend / loadOrtBackend options', () => {
  it('createOrtBackend refuses an unknown key with did-you-mean and the accepted keys', () => {
    const call = () => createOrtBackend({ intraOpNumThread: 2 } as never);
    expect(call).toThrow(OptionsError);
    expect(call).toThrow(
      "createOrtBackend: unknown option 'intraOpNumThread' (did you mean 'intraOpNumThreads'?); accepted options: name, executionProvider, intraOpNumThreads",
    );
  });

  it('loadOrtBackend checks before loading anything, under its own name', async () => {
    await expect(loadOrtBackend({ executionProvidr: 'cpu' } as never)).rejects.toThrow(
      "loadOrtBackend: unknown option 'executionProvidr' (did you mean 'executionProvider'?)",
    );
  });

  it.each([
    [{ intraOpNumThreads: 0 }, "option 'intraOpNumThreads' is 0; expected a positive integer"],
    [{ intraOpNumThreads: '4' }, `option 'intraOpNumThreads' is "4"; expected a positive integer`],
    [{ name: 5 }, "option 'name' is 5; expected a string"],
  ])('checks the kind of %j', (options, message) => {
    expect(() => createOrtBackend(options as never)).toThrow(`createOrtBackend: ${message}`);
  });

  it('refuses options that are not an object', () => {
    expect(() => createOrtBackend('cuda' as never)).toThrow(
      'createOrtBackend: options is "cuda"; expected an object',
    );
  });
});
