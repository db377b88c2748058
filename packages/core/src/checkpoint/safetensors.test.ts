import { describe, expect, it } from 'vitest';
import { allocStorage, DTYPE_NAMES, type DType } from '../dtype/dtypes.js';
import { CheckpointError } from '../errors/checkpoint-error.js';
import { swapBytes } from './byte-order.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from './safetensors.js';

const FILE = 'fixture.safetensors';
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const bytesOf = (t: SafetensorsTensor) =>
  Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));

/** A file with the given header text (padded to 8 with spaces) and data section. */
function fileWith(header: string, data: number[] = []): Uint8Array {
  const padded = header.padEnd(Math.ceil(header.length / 8) * 8, ' ');
  const out = new Uint8Array(8 + padded.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded.length), true);
  out.set(ascii(padded), 8);
  out.set(data, 8 + padded.length);
  return out;
}

function refusal(bytes: Uint8Array): string {
  try {
    decodeSafetensors(bytes, FILE);
  } catch (error) {
    expect(CheckpointError.isInstance(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected decodeSafetensors to refuse the file');
}

/** Edge-case bit patterns per dtype, written as bytes through independent views. */
function edgeValues(dtype: DType): SafetensorsTensor {
  switch (dtype) {
    case 'float32': {
      const bits = new Uint32Array([0x3f800000, 0x80000000, 0x7fc00001, 0xff800000, 0x00000001]);
      return { dtype, shape: [5], data: new Float32Array(bits.buffer) };
    }
    case 'float64': {
      const bits = new BigUint64Array([0x8000000000000000n, 0x7ff8000000000001n, 1n]);
      return { dtype, shape: [3], data: new Float64Array(bits.buffer) };
    }
    case 'float16':
    case 'bfloat16': {
      // Every 16-bit pattern: ±0, subnormals, ±inf and every NaN payload.
      const data = allocStorage(dtype, 65536);
      for (let i = 0; i < 65536; i++) data[i] = i;
      return { dtype, shape: [256, 256], data };
    }
    case 'int8':
      return { dtype, shape: [3], data: new Int8Array([-128, 0, 127]) };
    case 'uint8':
      return { dtype, shape: [3], data: new Uint8Array([0, 1, 255]) };
    case 'int16':
      return { dtype, shape: [3], data: new Int16Array([-32768, -1, 32767]) };
    case 'int32':
      return { dtype, shape: [3], data: new Int32Array([-(2 ** 31), -1, 2 ** 31 - 1]) };
    case 'bool':
      return { dtype, shape: [2], data: new Uint8Array([0, 1]) };
  }
}

describe('encodeSafetensors', () => {
  it('writes the bytes of the format exactly (hand-built golden file)', () => {
    const w = new Float32Array([1, -0]);
    const h = new Uint16Array([0x3f80]); // bf16 1.0
    const out = encodeSafetensors(
      {
        b: { dtype: 'uint8', shape: [3], data: new Uint8Array([1, 2, 3]) },
        w: { dtype: 'float32', shape: [2], data: w },
        h: { dtype: 'bfloat16', shape: [1], data: h },
      },
      { k: 'v' },
    );
    // Metadata first, then tensors by descending dtype alignment (F32, BF16, U8).
    const json =
      '{"__metadata__":{"k":"v"},' +
      '"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"h":{"dtype":"BF16","shape":[1],"data_offsets":[8,10]},' +
      '"b":{"dtype":"U8","shape":[3],"data_offsets":[10,13]}}';
    expect(json.length).toBe(188);
    const expected = [
      ...[192, 0, 0, 0, 0, 0, 0, 0], // u64 LE header length: 188 padded to 192
      ...ascii(json),
      ...[0x20, 0x20, 0x20, 0x20], // space padding
      ...[0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x80], // f32 1, -0 little-endian
      ...[0x80, 0x3f], // bf16 0x3f80
      ...[1, 2, 3],
    ];
    expect(Array.from(out)).toEqual(expected);
  });

  it('writes an empty file as an 8-byte "{}" header padded with spaces', () => {
    expect(Array.from(encodeSafetensors({}))).toEqual([
      8,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      123,
      125,
      ...ascii('      '),
    ]);
  });

  it('keeps integer-like, unicode and "__proto__" names as written', () => {
    const t = (v: number): SafetensorsTensor => ({
      dtype: 'int8',
      shape: [],
      data: new Int8Array([v]),
    });
    const names = ['b', '0', 'é', '__proto__', 'a.b'];
    const out = encodeSafetensors(Object.fromEntries(names.map((n, i) => [n, t(i)])));
    const back = decodeSafetensors(out, FILE).tensors;
    expect(Object.keys(back).sort()).toEqual([...names].sort());
    expect(Object.hasOwn(back, '__proto__')).toBe(true);
    for (const [i, n] of names.entries()) expect(Array.from(back[n].data)).toEqual([i]);
  });

  it.each([
    [
      'a reserved name',
      { __metadata__: { dtype: 'int8', shape: [1], data: new Int8Array(1) } },
      /tensor '__metadata__': the name is reserved/,
    ],
    [
      'a data length that does not fit the shape',
      { x: { dtype: 'float32', shape: [2, 3], data: new Float32Array(5) } },
      /tensor 'x': data has 5 elements; shape \[2,3\] needs 6/,
    ],
    [
      'the wrong storage for the dtype',
      { x: { dtype: 'float16', shape: [1], data: new Float32Array(1) } },
      /tensor 'x': data is a Float32Array; expected the Uint16Array storage of float16/,
    ],
  ] as const)('refuses %s', (_what, tensors, message) => {
    expect(() => encodeSafetensors(tensors as Record<string, SafetensorsTensor>)).toThrow(message);
  });
});

describe('decodeSafetensors round trip', () => {
  it.each(DTYPE_NAMES.map((d) => [d]))('%s keeps every bit', (dtype) => {
    const t = edgeValues(dtype);
    const back = decodeSafetensors(encodeSafetensors({ t }), FILE).tensors.t;
    expect(back.dtype).toBe(dtype);
    expect(back.shape).toEqual(t.shape);
    expect(back.data.constructor).toBe(t.data.constructor);
    expect(bytesOf(back)).toEqual(bytesOf(t));
  });

  it('keeps scalars, empty tensors and metadata', () => {
    const out = encodeSafetensors(
      {
        scalar: { dtype: 'float64', shape: [], data: new Float64Array([Math.PI]) },
        empty: { dtype: 'float32', shape: [0], data: new Float32Array(0) },
        empty2d: { dtype: 'bfloat16', shape: [2, 0], data: new Uint16Array(0) },
      },
      { framework: 'mixprec', note: 'ünïcode' },
    );
    const { tensors, metadata } = decodeSafetensors(out, FILE);
    expect(Array.from(tensors.scalar.data)).toEqual([Math.PI]);
    expect(tensors.scalar.shape).toEqual([]);
    expect(tensors.empty.data.length).toBe(0);
    expect(tensors.empty2d).toMatchObject({ dtype: 'bfloat16', shape: [2, 0] });
    expect(metadata).toEqual({ framework: 'mixprec', note: 'ünïcode' });
  });

  it('reads unaligned data offsets into aligned arrays, from a buffer at an odd offset', () => {
    // Another writer may order by name, leaving the f32 at data offset 3.
    const header =
      '{"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"b":{"dtype":"F32","shape":[1],"data_offsets":[3,7]}}';
    const file = fileWith(header, [7, 8, 9, 0x00, 0x00, 0xc0, 0x3f]);
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    const { tensors } = decodeSafetensors(shifted.subarray(1), FILE);
    expect(Array.from(tensors.a.data)).toEqual([7, 8, 9]);
    expect(Array.from(tensors.b.data)).toEqual([1.5]);
    expect(tensors.b.data.byteOffset % 4).toBe(0);
  });
});

describe('decodeSafetensors refuses bad files, naming the file and the problem', () => {
  const good = encodeSafetensors({
    x: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) },
  });
  const x = (offsets: string, dtype = 'F32', shape = '[2]') =>
    `"x":{"dtype":"${dtype}","shape":${shape},"data_offsets":${offsets}}`;

  it.each([
    ['a file shorter than the length field', good.slice(0, 5), /is 5 bytes, too short/],
    ['a truncated header', good.slice(0, 20), /header length \d+ runs past the end of the file/],
    ['a truncated data section', good.slice(0, -1), /run past the end of the data section/],
    ['a flipped high byte of the header length', flip(good, 5, 0x01), /runs past the end/],
    [
      'trailing bytes',
      new Uint8Array([...good, 0]),
      /bytes \[8,9\) of the data section belong to no tensor/,
    ],
    ['header JSON garbage', fileWith('{"x": nope}'), /header is not valid JSON/],
    ['a header that is not an object', fileWith('[1, 2]'), /header starts with "\[1, 2\]/],
    [
      'invalid UTF-8',
      fileWith('{"\xff":1}').map((b) => (b === 0xff ? 0xc3 : b)),
      /not valid UTF-8/,
    ],
    [
      'an unknown dtype',
      fileWith(`{${x('[0,8]', 'F33')}}`, Array(8).fill(0)),
      /tensor 'x': dtype 'F33' is not supported; mixprec reads F32, F16/,
    ],
    [
      'an unsupported dtype',
      fileWith(`{${x('[0,16]', 'I64')}}`, Array(16).fill(0)),
      /dtype 'I64' is not supported/,
    ],
    [
      'a fractional shape',
      fileWith(`{${x('[0,8]', 'F32', '[1.5]')}}`, Array(8).fill(0)),
      /shape \[1.5\] is not a list of non-negative integers/,
    ],
    [
      'offsets out of range',
      fileWith(`{${x('[0,8]')}}`, Array(4).fill(0)),
      /data_offsets \[0,8\] run past the end of the data section \(4 bytes\)/,
    ],
    [
      'offsets that end before they begin',
      fileWith(`{${x('[8,0]')}}`, Array(8).fill(0)),
      /end before they begin/,
    ],
    [
      'a byte length that does not fit the shape',
      fileWith(`{${x('[0,4]')}}`, Array(4).fill(0)),
      /F32 \[2\] needs 8 bytes but data_offsets \[0,4\] hold 4/,
    ],
    [
      'overlapping offsets',
      fileWith(
        `{${x('[0,8]')},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`,
        Array(12).fill(0),
      ),
      /tensor 'y': data_offsets \[4,12\] overlap tensor 'x' \[0,8\]/,
    ],
    [
      'a gap before a tensor',
      fileWith(`{${x('[4,12]')}}`, Array(12).fill(0)),
      /bytes \[0,4\) of the data section belong to no tensor/,
    ],
    [
      'an unknown tensor field',
      fileWith('{"x":{"dtype":"U8","shape":[],"data_offsets":[0,1],"x":1}}', [0]),
      /unknown field 'x'/,
    ],
    [
      'non-string metadata',
      fileWith('{"__metadata__":{"n":1}}'),
      /"__metadata__" entry 'n' is 1; expected a string/,
    ],
  ])('%s', (_what, bytes, message) => {
    const text = refusal(bytes);
    expect(text.startsWith(`${FILE}: `)).toBe(true);
    expect(text).toMatch(message);
  });

  it('refuses any flip of the header length low byte', () => {
    for (const bit of [0x01, 0x02, 0x04, 0x08]) expect(refusal(flip(good, 0, bit))).toContain(FILE);
  });
});

function flip(bytes: Uint8Array, at: number, mask: number): Uint8Array {
  const out = bytes.slice();
  out[at] ^= mask;
  return out;
}

describe('swapBytes (the big-endian path)', () => {
  it('reverses each element in place', () => {
    const b = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    swapBytes(b, 4);
    expect(Array.from(b)).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
    swapBytes(b, 2);
    expect(Array.from(b)).toEqual([3, 4, 1, 2, 7, 8, 5, 6]);
  });
});
