#!/usr/bin/env node
// Compiles packages/core/src/dtype/wasm/convert.wat with wabt and writes the module bytes as a
// base64 string to convert-wasm.generated.ts, so core needs neither wabt nor a file read at run
// time (the bytes are instantiated synchronously from the string). Run: `pnpm gen:wasm`.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import initWabt from 'wabt';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'packages/core/src/dtype/wasm');
const watPath = join(dir, 'convert.wat');
const outPath = join(dir, 'convert-wasm.generated.ts');

const wabt = await initWabt();
const parsed = wabt.parseWat('convert.wat', readFileSync(watPath, 'utf8'), { simd: true });
parsed.resolveNames();
parsed.validate();
const { buffer } = parsed.toBinary({ log: false, write_debug_names: false });
parsed.destroy();

// Validate with the engine that will run it, so a broken module never gets written.
if (!WebAssembly.validate(buffer)) throw new Error('gen-wasm: V8 rejects the compiled module');

const base64 = Buffer.from(buffer).toString('base64');
// Split into lines of 96 characters so the file stays readable in diffs and editors.
const lines = base64.match(/.{1,96}/g) ?? [];
const body = lines.map((l) => `  '${l}',`).join('\n');
const ts = `// generated — do not edit. Source: convert.wat; regenerate with \`pnpm gen:wasm\`.
// ${buffer.length} bytes of WebAssembly (SIMD) as base64.

/** The bulk conversion module (see convert.wat), base64-encoded. */
export const CONVERT_WASM_BASE64: string = [
${body}
].join('');
`;
writeFileSync(outPath, ts);
console.log(`gen-wasm: ${buffer.length} bytes -> ${outPath.slice(root.length + 1)}`);
