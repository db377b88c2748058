/**
 * Byte order of tensor data in files. Safetensors stores little-endian values while typed
 * arrays use the host's order, so big-endian hosts (s390x) swap on the way in and out.
 */

/** Whether typed arrays on this host are little-endian (every common Node platform). */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the bytes of each `itemSize`-byte element of `bytes`, in place. */
export function swapBytes(bytes: Uint8Array, itemSize: number): void {
  if (itemSize === 1) return;
  for (let at = 0; at + itemSize <= bytes.length; at += itemSize) {
    for (let lo = at, hi = at + itemSize - 1; lo < hi; lo++, hi--) {
      const b = bytes[lo];
      bytes[lo] = bytes[hi];
      bytes[hi] = b;
    }
  }
}

/** Converts between host order and little-endian in place (a no-op on little-endian hosts). */
export function hostToLittleEndian(bytes: Uint8Array, itemSize: number): void {
  if (!HOST_IS_LITTLE_ENDIAN) swapBytes(bytes, itemSize);
}
