// Builds bench/wsload/wsload.c into build/wsload when it is missing or older than the source.
// `node bench/wsload/build.mjs` prints the binary's path; ws-load.js imports buildWsload().
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const WSLOAD_SRC = path.join(HERE, 'wsload.c');
export const WSLOAD_BIN = path.resolve(HERE, '..', '..', 'build', 'wsload');

const mtime = (f) => {
  try {
    return statSync(f).mtimeMs;
  } catch {
    return -1;
  }
};

/**
 * The path of an up-to-date wsload binary, compiling it with `cc -O2` first if needed; null
 * (with the reason on stderr) when there is no C compiler or the build fails.
 */
export function buildWsload() {
  if (mtime(WSLOAD_BIN) >= mtime(WSLOAD_SRC)) return WSLOAD_BIN;
  const cc = process.env.CC ?? 'cc';
  mkdirSync(path.dirname(WSLOAD_BIN), { recursive: true });
  // Into a temporary name first, so a failed or concurrent build never leaves a broken binary.
  const tmp = `${WSLOAD_BIN}.${process.pid}.tmp`;
  const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-o', tmp, WSLOAD_SRC], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    console.error(
      `wsload: cannot build ${WSLOAD_SRC} with ${cc}: ${r.error?.message ?? `exit ${r.status}`}`,
    );
    return null;
  }
  renameSync(tmp, WSLOAD_BIN);
  return WSLOAD_BIN;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bin = buildWsload();
  if (bin === null) process.exit(1);
  console.log(bin);
}
