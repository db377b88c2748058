/**
 * A WebAssembly module shipped as base64, compiled and instantiated synchronously on first use
 * (fine for kilobyte-sized modules in Node and workers). A runtime without WebAssembly, or
 * without the SIMD the module needs (it then fails to compile), gets `null` and the reason, so
 * the caller falls back to its TS loops and can say why.
 */

/** The part of the WebAssembly JS API used here (core's TS lib has no DOM types). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: object };
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A lazily instantiated module wrapped by `wrap` (e.g. an engine class over its exports). */
export interface LazyWasm<T> {
  /** The wrapped instance, or null when this runtime cannot run the module. */
  get(): T | null;
  /** Why the module could not load (undefined when it loaded or was never tried). */
  failure(): string | undefined;
}

/** `base64` instantiated on the first `get()`, its exports handed to `wrap`. */
export function lazyWasm<T>(base64: string, wrap: (exports: object) => T): LazyWasm<T> {
  let value: T | null | undefined;
  let failure: string | undefined;
  return {
    get() {
      if (value === undefined) {
        try {
          const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
          if (!api) throw new Error('WebAssembly is not available in this runtime');
          const module = new api.Module(decodeBase64(base64));
          value = wrap(new api.Instance(module).exports);
        } catch (error) {
          value = null;
          failure = error instanceof Error ? error.message : String(error);
        }
      }
      return value;
    },
    failure: () => failure,
  };
}
