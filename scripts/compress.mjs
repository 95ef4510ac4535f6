// Precompresses the package's served files for the lookup service
// (lookup/src/assets.rs serves `X.br` / `X.gz` in place of `X` when the
// browser accepts it): Brotli at quality 11 and gzip at level 9, the
// highest levels, which a server could not afford per request.
//
//   node scripts/compress.mjs DIR_OR_FILE...
//
// Directories are walked. A variant is written only when it is smaller than
// the file; a stale one (from an earlier build) is removed, and so is the
// variant of a file that is gone (an esbuild chunk whose hash changed).
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

// Text and Wasm; not images or archives, already compressed.
const COMPRESSIBLE = /\.(js|mjs|css|wasm|json|tsv|html|svg|map)$/;

function* walk(path) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) yield* walk(join(path, name));
  } else if (/\.(br|gz)$/.test(path)) {
    // The variant of a file an earlier build wrote and this one did not.
    if (!existsSync(path.slice(0, -3))) rmSync(path);
  } else if (COMPRESSIBLE.test(path)) {
    yield path;
  }
}

const encoders = {
  br: (b) => brotliCompressSync(b, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: b.length },
  }),
  gz: (b) => gzipSync(b, { level: 9 }),
};

const total = { raw: 0, br: 0, gz: 0 };
let files = 0;
for (const arg of process.argv.slice(2)) {
  for (const file of walk(arg)) {
    const raw = readFileSync(file);
    files += 1;
    total.raw += raw.length;
    for (const [ext, encode] of Object.entries(encoders)) {
      const packed = encode(raw);
      if (packed.length < raw.length) {
        writeFileSync(`${file}.${ext}`, packed);
        total[ext] += packed.length;
      } else {
        rmSync(`${file}.${ext}`, { force: true });
        total[ext] += raw.length;
      }
    }
  }
}
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
console.log(`precompressed ${files} files: ${kb(total.raw)} raw, ${kb(total.br)} brotli, ${kb(total.gz)} gzip`);
