import { DTYPE_NAMES, DTYPES, type DType, type StorageArray } from '../../dtype/dtypes.js';
import { BackendError } from '../../errors/backend-error.js';
import { formatShape } from '../../graph/graph.js';
import type { MemoryInfo, Storage } from '../backend.js';

/** The handle the reference backend gives out: plain fields; the data stays in the pool. */
class ReferenceStorage implements Storage {
  readonly size: number;

  constructor(
    readonly backend: string,
    readonly dtype: DType,
    readonly shape: readonly number[],
  ) {
    this.size = shape.reduce((n, d) => n * d, 1);
    Object.freeze(this);
  }
}

const zeroByDtype = (): Record<DType, number> =>
  Object.fromEntries(DTYPE_NAMES.map((d) => [d, 0])) as Record<DType, number>;

/**
 * The reference backend's memory: live storages and their typed arrays, and byte accounting
 * that also covers a running graph's intermediate values (`reserve`/`release`), so that
 * `peakBytes` is the real high-water mark of a step. Handles are looked up here, so a handle
 * from another backend (or another reference instance) or a freed one is rejected by name.
 */
export class StoragePool {
  readonly #live = new Map<Storage, StorageArray>();
  readonly #freed = new WeakSet<Storage>();
  #bytes = 0;
  #peak = 0;
  #byDtype = zeroByDtype();
  #disposed = false;

  constructor(readonly backendName: string) {}

  /** Counts `size` elements of `dtype` as live (an intermediate, or a storage about to be adopted). */
  reserve(dtype: DType, size: number): void {
    const bytes = size * DTYPES[dtype].itemSize;
    this.#bytes += bytes;
    this.#byDtype[dtype] += bytes;
    if (this.#bytes > this.#peak) this.#peak = this.#bytes;
  }

  /** Stops counting memory counted by `reserve`. */
  release(dtype: DType, size: number): void {
    const bytes = size * DTYPES[dtype].itemSize;
    this.#bytes -= bytes;
    this.#byDtype[dtype] -= bytes;
  }

  /**
   * Wraps `data` (now owned by the pool) in a new handle. `reserved` says its bytes are
   * already counted, e.g. a graph output that was counted as an intermediate.
   */
  adopt(data: StorageArray, dtype: DType, shape: readonly number[], reserved = false): Storage {
    this.#checkOpen('adopt');
    const storage = new ReferenceStorage(this.backendName, dtype, [...shape]);
    if (!reserved) this.reserve(dtype, data.length);
    this.#live.set(storage, data);
    return storage;
  }

  /**
   * The typed array behind a live storage of this pool. `where` names the caller and
   * argument for the error, e.g. `"download: argument 'storage'"`.
   */
  data(storage: Storage, where: string): StorageArray {
    this.#checkOpen(where);
    const data = this.#live.get(storage);
    if (data !== undefined) return data;
    const what = `${where} is a ${storage?.dtype}${formatShape(storage?.shape ?? [])} storage of backend '${storage?.backend}'`;
    if (this.#freed.has(storage)) {
      throw new BackendError(
        `${this.backendName}.${what} that was already freed; expected a live storage (do not use a storage after free)`,
      );
    }
    throw new BackendError(
      `${this.backendName}.${what} that this backend instance did not create; expected a storage returned by this '${this.backendName}' backend (upload, run, cast or matmul)`,
    );
  }

  /** Releases a storage; a second free of the same handle throws. */
  free(storage: Storage): void {
    const data = this.data(storage, "free: argument 'storage'");
    this.#live.delete(storage);
    this.#freed.add(storage);
    this.release(storage.dtype, data.length);
  }

  /** Live bytes, per dtype, storage count and peak; `resetPeak` starts a new window at the current bytes. */
  memory(resetPeak = false): MemoryInfo {
    const info: MemoryInfo = {
      bytes: this.#bytes,
      storages: this.#live.size,
      byDtype: { ...this.#byDtype },
      peakBytes: this.#peak,
    };
    if (resetPeak) this.#peak = this.#bytes;
    return info;
  }

  /** Frees every live storage; the pool then refuses all further use. */
  dispose(): void {
    for (const storage of [...this.#live.keys()]) this.free(storage);
    this.#disposed = true;
  }

  #checkOpen(where: string): void {
    if (this.#disposed) {
      throw new BackendError(
        `${this.backendName}.${where}: the backend was disposed; expected a live backend (create a new one)`,
      );
    }
  }
}
