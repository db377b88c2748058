#!/usr/bin/env node
// Compiles core's WebAssembly text modules with wabt and writes each module's bytes as a base64
// string to a *.generated.ts next to its source, so core needs neither wabt nor a file read at
// run time (the bytes are instantiated synchronously from the string). Run: `pnpm gen:wasm`.
//   packages/core/src/dtype/wasm/convert.wat      -> convert-wasm.generated.ts (CONVERT_WASM_BASE64)
//   packages/core/src/optim/flash/wasm/flash.wat  -> flash-wasm.generated.ts (FLASH_WASM_BASE64)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import initWabt from 'wabt';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const modules = [
  {
    dir: 'packages/core/src/dtype/wasm',
    wat: 'convert.wat',
    out: 'convert-wasm.generated.ts',
    name: 'CONVERT_WASM_BASE64',
    doc: 'The bulk conversion module (see convert.wat), base64-encoded.',
  },
  {
    dir: 'packages/core/src/optim/flash/wasm',
    wat: 'flash.wat',
    out: 'flash-wasm.generated.ts',
    name: 'FLASH_WASM_BASE64',
    doc: 'The FlashAdam fast-path module (see flash.wat), base64-encoded.',
  },
];

const wabt = await initWabt();

for (const m of modules) {
  const dir = join(root, m.dir);
  const parsed = wabt.parseWat(m.wat, readFileSync(join(dir, m.wat), 'utf8'), { simd: true });
  parsed.resolveNames();
  parsed.validate();
  const { buffer } = parsed.toBinary({ log: false, write_debug_names: false });
  parsed.destroy();

  // Validate with the engine that will run it, so a broken module never gets written.
  if (!WebAssembly.validate(buffer)) throw new Error(`gen-wasm: V8 rejects ${m.wat}`);

  const base64 = Buffer.from(buffer).toString('base64');
  // Split into lines of 96 characters so the file stays readable in diffs and editors.
  const lines = base64.match(/.{1,96}/g) ?? [];
  const body = lines.map((l) => `  '${l}',`).join('\n');
  const ts = `// generated — do not edit. Source: ${m.wat}; regenerate with \`pnpm gen:wasm\`.
// ${buffer.length} bytes of WebAssembly (SIMD) as base64.

/** ${m.doc} */
export const ${m.name}: string = [
${body}
].join('');
`;
  const outPath = join(dir, m.out);
  writeFileSync(outPath, ts);
  console.log(`gen-wasm: ${buffer.length} bytes -> ${outPath.slice(root.length + 1)}`);
}
