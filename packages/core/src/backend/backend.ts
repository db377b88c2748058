import type { DType, StorageArray, StorageArrayMap } from '../dtype/dtypes.js';
import type { Graph } from '../graph/graph.js';
import type { AutocastCategory, OpName } from '../ops/catalogue.js';

/**
 * The `Backend` service-provider interface. Core calls these members; users never do: they
 * call `tensor.data()`, `trainer.step()` and friends. Kept small on purpose: ops are not
 * methods here, they arrive as whole graphs through `run`.
 */

/** How a backend holds a dtype: in its own format, in a wider container with the same bits of value, or not at all. */
export type DTypeSupport = 'native' | 'emulated' | 'unsupported';

/** What a backend can do, as data: the conformance suite picks its cases from this record. */
export interface BackendCapabilities {
  /** Devices the backend computes on, e.g. `['cpu']` or `['cuda:0']`. */
  readonly devices: readonly string[];
  /** Per-dtype support. An `unsupported` dtype must make `upload`/`run` throw `UnsupportedDtypeError`. */
  readonly dtypes: Readonly<Record<DType, DTypeSupport>>;
  /** Optimizer algorithms `optimizerStep` runs with a native kernel instead of core's host implementation. */
  readonly fusedOptimizers: readonly string[];
  /** Changes to the autocast policy this backend asks for; core applies them visibly. */
  readonly autocastOverrides?: Readonly<Partial<Record<OpName, AutocastCategory>>>;
}

/**
 * A handle on memory owned by a backend. Opaque to core apart from these fields; a backend
 * returns its own subtype and may reject handles it did not create.
 */
export interface Storage {
  readonly backend: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
}

/** Live memory of a backend, counted from its storages. */
export interface MemoryInfo {
  /** Bytes held by live storages (`size * itemSize` summed; emulated dtypes count their container). */
  readonly bytes: number;
  /** Number of live storages. */
  readonly storages: number;
  /** Bytes per dtype. */
  readonly byDtype: Readonly<Record<DType, number>>;
  /** Largest `bytes` seen since the backend was created or the peak was last reset. */
  readonly peakBytes: number;
}

/** One in-place optimizer update of one parameter (see `hostOptimizerStep` for the algorithms core knows). */
export interface OptimizerStepRequest {
  /** Algorithm name, e.g. `'sgd'`, `'adam'`, `'adamw'`. */
  readonly algorithm: string;
  /**
   * Hyper-parameters under torch's names: `lr`, `momentum`, `dampening`, `nesterov`,
   * `weight_decay` (sgd); `lr`, `beta1`, `beta2`, `eps`, `weight_decay` (adam, adamw).
   * Unknown keys are an error. Rules added with `registerUpdateRule` define their own.
   */
  readonly hyper: Readonly<Record<string, number | boolean>>;
  /** Step count including this step (1 on the first update). */
  readonly step: number;
  readonly param: Storage;
  readonly grad: Storage;
  /** State storages under torch's names (`momentum_buffer`; `exp_avg`, `exp_avg_sq`); updated in place. */
  readonly state: Readonly<Record<string, Storage>>;
}

/**
 * A value a run hands over before it finishes: gradient release updates each parameter as soon
 * as its gradient is complete and frees that gradient at once, so gradients never all live
 * together. The run cannot finish first (one run computes the whole step), so the hand-over
 * happens inside it.
 */
export interface EarlyRelease {
  /** Graph node whose value is handed over; a computed (non-`input`) node, NOT one of `graph.outputs`. */
  readonly node: number;
  /**
   * Graph nodes that must have had their last reader before the hand-over (e.g. the parameter
   * input a gradient updates in place, so no later node reads the updated value).
   */
  readonly after: readonly number[];
  /**
   * Receives the value as a new storage (the callee owns it and frees it). The run awaits it
   * before going on; a rejection rejects the run.
   */
  onReady(storage: Storage): Promise<void>;
}

/** Options of `Backend.run`. */
export interface RunOptions {
  /** Values to hand over during the run (each node at most once). */
  readonly release?: readonly EarlyRelease[];
}

/** The interface every backend implements. Members are called by core. */
export interface Backend {
  /** Registry name, e.g. `'reference'`. */
  readonly name: string;
  /** Version of this interface the backend implements. */
  readonly specVersion: 1;
  readonly capabilities: BackendCapabilities;

  /** Copies host data (the dtype's storage array, see `StorageArrayMap`) into a new storage. */
  upload<D extends DType>(data: StorageArrayMap[D], dtype: D, shape: readonly number[]): Storage;
  /** Copies a storage back to the host as its dtype's storage array (half types as 16-bit patterns). */
  download(storage: Storage): Promise<StorageArray>;
  /** Releases a storage. Freeing twice is an error. */
  free(storage: Storage): void;
  /** Live bytes. `resetPeak` starts a new peak window after reading. */
  memory(options?: { resetPeak?: boolean }): MemoryInfo;

  /**
   * Runs a whole graph. `feeds[i]` is the value of node `graph.inputs[i]`. Returns one new
   * storage per `graph.outputs` entry; the caller owns them.
   *
   * `options.release`: every `onReady` is called exactly once, as soon as its node has been
   * computed, every reader of that node has run, and every `after` node has had its last
   * reader; a streaming backend therefore never holds all released values at once. A backend
   * that cannot stream may compute the whole graph and then call them all (in node order); in
   * every case they have all been called and awaited before `run` resolves.
   */
  run(graph: Graph, feeds: readonly Storage[], options?: RunOptions): Promise<Storage[]>;

  /** Primitive: a new storage holding `storage` converted to `dtype` (core's cast semantics). */
  cast(storage: Storage, dtype: DType): Promise<Storage>;
  /** Primitive: batched `a @ b` with broadcast batch dims, accumulated in fp32 or better, rounded once. */
  matmul(a: Storage, b: Storage): Promise<Storage>;
  /** Primitive: an in-place optimizer update of `param` and `state`. */
  optimizerStep(request: OptimizerStepRequest): Promise<void>;

  /** Frees everything the backend holds. */
  dispose(): void | Promise<void>;
}
