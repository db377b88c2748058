import { registerOrtBackends } from '@mixprec/backend-ort';
import { createBackendRegistry, createReferenceBackend } from '@mixprec/core';
import { describe, expect, it } from 'vitest';
import { checkBackendName, cliRegistry } from './select-backend.js';
import { UsageError } from './usage-error.js';

function registry() {
  const r = registerOrtBackends(createBackendRegistry({ env: {} }));
  r.register('reference', createReferenceBackend, 0);
  return r;
}

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(UsageError.isInstance(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('checkBackendName', () => {
  it('accepts auto and registered names, and resolves auto through MIXPREC_BACKEND', () => {
    expect(checkBackendName('train', 'auto', registry(), {})).toBe('auto');
    expect(checkBackendName('train', 'ort', registry(), {})).toBe('ort');
    expect(checkBackendName('train', 'auto', registry(), { MIXPREC_BACKEND: ' reference ' })).toBe(
      'reference',
    );
  });

  it('an unknown --backend is a usage error with what is registered and a suggestion', () => {
    expect(usageMessage(() => checkBackendName('train', 'orrt', registry(), {}))).toBe(
      "mixprec train: --backend 'orrt': no backend of that name is registered; expected 'auto' or one of ort-cuda, ort, reference; did you mean 'ort'?",
    );
  });

  it('an unknown MIXPREC_BACKEND is a usage error that names the variable', () => {
    const env = { MIXPREC_BACKEND: 'tfjs-wasm' };
    expect(usageMessage(() => checkBackendName('conformance', 'auto', registry(), env))).toBe(
      "mixprec conformance: MIXPREC_BACKEND 'tfjs-wasm': no backend of that name is registered; expected 'auto' or one of ort-cuda, ort, reference; 'tfjs-wasm' comes with @mixprec/backend-tfjs: install it and import it once (import '@mixprec/backend-tfjs'), which registers its backends",
    );
  });

  it('the process-wide registry holds the ort backends, registered by importing @mixprec/backend-ort', () => {
    expect(cliRegistry().names()).toEqual(expect.arrayContaining(['ort-cuda', 'ort', 'reference']));
  });
});
