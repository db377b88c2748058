/**
 * Parses and validates the JSON header of a safetensors file. Everything in the header is
 * untrusted: each field is checked, and the tensors' byte ranges must tile the data section
 * exactly (no gaps, no overlaps, nothing past the end), as the reference reader requires.
 */
import { DTYPES, type DType } from '../dtype/dtypes.js';
import { CheckpointError } from '../errors/checkpoint-error.js';
import { formatShape } from '../graph/graph.js';
import { dtypeFromSafetensors, SAFETENSORS_DTYPE_LIST } from './safetensors-dtypes.js';

/** One validated header entry: where a tensor's bytes lie in the data section. */
export interface HeaderEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** A validated header. */
export interface ParsedHeader {
  /** Entries sorted by data offset. */
  readonly entries: HeaderEntry[];
  readonly metadata: Record<string, string>;
}

const TENSOR_FIELDS = ['dtype', 'shape', 'data_offsets'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Validates the parsed header JSON against a data section of `dataLength` bytes.
 * @throws CheckpointError naming `fileName` and the problem.
 */
export function parseSafetensorsHeader(
  json: unknown,
  dataLength: number,
  fileName: string,
): ParsedHeader {
  const fail = (problem: string) => new CheckpointError(`${fileName}: ${problem}`);
  if (!isObject(json)) {
    throw fail(`header is ${Array.isArray(json) ? 'an array' : String(json)}; expected an object`);
  }
  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, info] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(info, fail);
    } else {
      entries.push(parseEntry(name, info, fail));
    }
  }
  checkLayout(entries, dataLength, fail);
  return { entries, metadata };
}

function parseMetadata(
  info: unknown,
  fail: (problem: string) => CheckpointError,
): Record<string, string> {
  if (!isObject(info)) throw fail('"__metadata__" is not an object of strings');
  for (const [key, value] of Object.entries(info)) {
    if (typeof value !== 'string') {
      throw fail(`"__metadata__" entry '${key}' is ${JSON.stringify(value)}; expected a string`);
    }
  }
  // fromEntries defines own properties, so a key like "__proto__" stays plain data.
  return Object.fromEntries(Object.entries(info)) as Record<string, string>;
}

function parseEntry(
  name: string,
  info: unknown,
  fail: (problem: string) => CheckpointError,
): HeaderEntry {
  const where = `tensor '${name}'`;
  if (!isObject(info)) throw fail(`${where}: header entry is not an object`);
  for (const key of Object.keys(info)) {
    if (!TENSOR_FIELDS.includes(key)) {
      throw fail(`${where}: unknown field '${key}'; expected only ${TENSOR_FIELDS.join(', ')}`);
    }
  }
  const { dtype: dtypeName, shape, data_offsets: offsets } = info;
  if (typeof dtypeName !== 'string') throw fail(`${where}: dtype is missing or not a string`);
  const dtype = dtypeFromSafetensors(dtypeName);
  if (dtype === undefined) {
    throw fail(
      `${where}: dtype '${dtypeName}' is not supported; mixprec reads ${SAFETENSORS_DTYPE_LIST}`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw fail(`${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw fail(`${where}: data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw fail(`${where}: data_offsets [${begin},${end}] end before they begin`);
  let need = DTYPES[dtype].itemSize;
  for (const d of shape) need *= d;
  if (!Number.isSafeInteger(need)) throw fail(`${where}: shape ${formatShape(shape)} is too large`);
  if (end - begin !== need) {
    throw fail(
      `${where}: ${dtypeName} ${formatShape(shape)} needs ${need} bytes but data_offsets [${begin},${end}] hold ${end - begin}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

/** Checks that the byte ranges tile `[0, dataLength)` exactly; sorts `entries` by offset. */
function checkLayout(
  entries: HeaderEntry[],
  dataLength: number,
  fail: (problem: string) => CheckpointError,
): void {
  for (const e of entries) {
    if (e.end > dataLength) {
      throw fail(
        `tensor '${e.name}': data_offsets [${e.begin},${e.end}] run past the end of the data section (${dataLength} bytes); the file is truncated or corrupt`,
      );
    }
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: HeaderEntry | undefined;
  for (const e of entries) {
    if (e.begin < covered) {
      throw fail(
        `tensor '${e.name}': data_offsets [${e.begin},${e.end}] overlap tensor '${previous!.name}' [${previous!.begin},${previous!.end}]`,
      );
    }
    if (e.begin > covered) {
      throw fail(`bytes [${covered},${e.begin}) of the data section belong to no tensor`);
    }
    covered = e.end;
    previous = e;
  }
  if (covered !== dataLength) {
    throw fail(
      `bytes [${covered},${dataLength}) of the data section belong to no tensor; the tensors cover ${covered} of ${dataLength} bytes`,
    );
  }
}
