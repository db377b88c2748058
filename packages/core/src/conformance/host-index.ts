/**
 * Plain index arithmetic for the suite's expectations (row-major, numpy semantics). Written
 * out element by element, without core's broadcast or stride helpers, so that the expected
 * layout of a result never comes from the code under test.
 */

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Multi-index of flat index `i` in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return idx;
}

/** Flat index of a multi-index in `shape`. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let k = 0; k < shape.length; k++) i = i * shape[k] + idx[k];
  return i;
}

/** Builds an array of `sizeOf(shape)` values from a function of the multi-index. */
export function tabulate(shape: readonly number[], f: (idx: number[]) => number): number[] {
  return Array.from({ length: sizeOf(shape) }, (_v, i) => f(unravel(i, shape)));
}

/**
 * numpy broadcast of two shapes, from first principles: right-aligned, each dim equal or 1.
 * Returns undefined when they do not broadcast.
 */
export function broadcastPair(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    const da = k - (rank - a.length) >= 0 ? a[k - (rank - a.length)] : 1;
    const db = k - (rank - b.length) >= 0 ? b[k - (rank - b.length)] : 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** The element of an operand of shape `shape` that output multi-index `outIdx` reads under broadcasting. */
export function broadcastIndex(outIdx: readonly number[], shape: readonly number[]): number {
  const offset = outIdx.length - shape.length;
  return ravel(
    shape.map((d, k) => (d === 1 ? 0 : outIdx[k + offset])),
    shape,
  );
}

/**
 * Reduces `values` (of `shape`) over `axes` with `fn` applied to each group of elements, in
 * the group's row-major order.
 */
export function reduceHost(
  values: readonly number[],
  shape: readonly number[],
  axes: readonly number[],
  keepdims: boolean,
  fn: (group: number[]) => number,
): { shape: number[]; values: number[] } {
  const kept = shape.map((d, k) => (axes.includes(k) ? 1 : d));
  const groups: number[][] = Array.from({ length: sizeOf(kept) }, () => []);
  values.forEach((v, i) => {
    const idx = unravel(i, shape).map((x, k) => (axes.includes(k) ? 0 : x));
    groups[ravel(idx, kept)].push(v);
  });
  const outShape = keepdims ? kept : shape.filter((_d, k) => !axes.includes(k));
  return { shape: outShape, values: groups.map(fn) };
}

/** Applies `fn` to every line of `values` along `axis` and writes the results back in place. */
export function mapLines(
  values: readonly number[],
  shape: readonly number[],
  axis: number,
  fn: (line: number[]) => number[],
): number[] {
  const out = [...values];
  const lineShape = shape.map((d, k) => (k === axis ? 1 : d));
  for (let j = 0; j < sizeOf(lineShape); j++) {
    const base = unravel(j, lineShape);
    const at = Array.from({ length: shape[axis] }, (_v, t) =>
      ravel(
        base.map((x, k) => (k === axis ? t : x)),
        shape,
      ),
    );
    const line = fn(at.map((i) => values[i]));
    at.forEach((i, t) => {
      out[i] = line[t];
    });
  }
  return out;
}
