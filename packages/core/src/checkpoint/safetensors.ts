/**
 * Reads and writes the safetensors format (huggingface/safetensors): an 8-byte little-endian
 * u64 header length N, N bytes of UTF-8 JSON (padded with spaces to a multiple of 8), then the
 * tensors' little-endian bytes back to back. Data only: nothing in a file is ever executed.
 */
import {
  allocStorage,
  DTYPES,
  type DType,
  isStorageOf,
  type StorageArray,
} from '../dtype/dtypes.js';
import { CheckpointError } from '../errors/checkpoint-error.js';
import { formatShape, shapeSize } from '../graph/graph.js';
import { hostToLittleEndian } from './byte-order.js';
import { SAFETENSORS_DTYPE, SAFETENSORS_WRITE_RANK } from './safetensors-dtypes.js';
import { parseSafetensorsHeader } from './safetensors-header.js';

/** One tensor as stored in a file: dtype, shape and host storage (half dtypes as bit patterns). */
export interface SafetensorsTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: StorageArray;
}

/** The decoded contents of a safetensors file. */
export interface SafetensorsContents {
  /** Tensors by name, in data-offset order. */
  readonly tensors: Record<string, SafetensorsTensor>;
  /** The string-to-string `__metadata__` map (empty when the file has none). */
  readonly metadata: Record<string, string>;
}

/** The reference reader refuses headers above 100 MB; so do we, before allocating a string. */
const MAX_HEADER_BYTES = 100_000_000;

const utf8 = new TextEncoder();

/** UTF-8 byte order, which is how the reference writer (Rust `String`) sorts names. */
function compareUtf8(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function checkTensor(name: string, t: SafetensorsTensor): void {
  const where = `encodeSafetensors: tensor '${name}'`;
  if (name === '__metadata__') {
    throw new CheckpointError(`${where}: the name is reserved by the format; rename the tensor`);
  }
  if (!Object.hasOwn(DTYPES, t.dtype)) {
    throw new CheckpointError(`${where}: unknown dtype ${JSON.stringify(t.dtype)}`);
  }
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new CheckpointError(
      `${where}: shape ${formatShape(t.shape)} is not non-negative integers`,
    );
  }
  if (!isStorageOf(t.data, t.dtype)) {
    throw new CheckpointError(
      `${where}: data is a ${t.data?.constructor?.name}; expected the ${DTYPES[t.dtype].storage} storage of ${t.dtype}`,
    );
  }
  if (t.data.length !== shapeSize(t.shape)) {
    throw new CheckpointError(
      `${where}: data has ${t.data.length} elements; shape ${formatShape(t.shape)} needs ${shapeSize(t.shape)}`,
    );
  }
}

/**
 * Encodes tensors (and an optional string-to-string metadata map) as a safetensors file.
 * Tensors are laid out like the reference writer does (descending dtype alignment, then name),
 * so the bytes match its output for the same tensors (metadata keys, which it keeps in a hash
 * map, are sorted here so that saving twice gives the same bytes).
 * @throws CheckpointError for a reserved name, a bad shape, or data that does not fit its dtype.
 */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) checkTensor(name, t);
  entries.sort(
    ([an, a], [bn, b]) =>
      SAFETENSORS_WRITE_RANK[SAFETENSORS_DTYPE[b.dtype]] -
        SAFETENSORS_WRITE_RANK[SAFETENSORS_DTYPE[a.dtype]] || compareUtf8(an, bn),
  );
  // The JSON is assembled by hand: a JS object would move integer-like names ("0.weight" is
  // fine, "0" is not) to the front and would turn a "__proto__" name into a prototype.
  const fields: string[] = [];
  if (metadata && Object.keys(metadata).length > 0) {
    const keys = Object.keys(metadata).sort(compareUtf8);
    for (const key of keys) {
      if (typeof metadata[key] !== 'string') {
        throw new CheckpointError(
          `encodeSafetensors: metadata '${key}' is ${typeof metadata[key]}; the format stores strings only`,
        );
      }
    }
    const pairs = keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`);
    fields.push(`"__metadata__":{${pairs.join(',')}}`);
  }
  let offset = 0;
  for (const [name, t] of entries) {
    const end = offset + t.data.byteLength;
    const info = `{"dtype":"${SAFETENSORS_DTYPE[t.dtype]}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`;
    fields.push(`${JSON.stringify(name)}:${info}`);
    offset = end;
  }
  const json = utf8.encode(`{${fields.join(',')}}`);
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, t] of entries) {
    const bytes = out.subarray(at, at + t.data.byteLength);
    bytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    hostToLittleEndian(bytes, DTYPES[t.dtype].itemSize);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Decodes a safetensors file, validating the header length, the JSON, every dtype, shape and
 * offset, and that the tensors cover the data section exactly. Data is copied into fresh,
 * aligned typed arrays (offsets in a file need not be aligned).
 * @param fileName named in every error message.
 * @throws CheckpointError naming `fileName` and the problem.
 */
export function decodeSafetensors(bytes: Uint8Array, fileName: string): SafetensorsContents {
  const fail = (problem: string) => new CheckpointError(`${fileName}: ${problem}`);
  if (bytes.length < 8) {
    throw fail(
      `file is ${bytes.length} bytes, too short for the 8-byte header length; the file is truncated or not safetensors`,
    );
  }
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    throw fail(
      `header length ${n} runs past the end of the file (${bytes.length} bytes); the file is truncated or not safetensors`,
    );
  }
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw fail(`header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit of the format`);
  }
  const dataStart = 8 + Number(n);
  let text: string;
  try {
    // ignoreBOM keeps a byte-order mark in the text, so it fails the '{' check below.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(
      bytes.subarray(8, dataStart),
    );
  } catch {
    throw fail('header is not valid UTF-8; the file is corrupt or not safetensors');
  }
  if (!text.startsWith('{')) {
    throw fail(`header starts with ${JSON.stringify(text.slice(0, 16))}; expected a JSON object`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw fail(`header is not valid JSON (${(error as Error).message}); the file is corrupt`);
  }
  const header = parseSafetensorsHeader(json, bytes.length - dataStart, fileName);
  const tensors = header.entries.map(({ name, dtype, shape, begin, end }) => {
    const data = allocStorage(dtype, shapeSize(shape));
    const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    view.set(bytes.subarray(dataStart + begin, dataStart + end));
    hostToLittleEndian(view, DTYPES[dtype].itemSize);
    return [name, { dtype, shape, data }] as const;
  });
  // fromEntries defines own properties, so a tensor named "__proto__" stays plain data.
  return { tensors: Object.fromEntries(tensors), metadata: header.metadata };
}
