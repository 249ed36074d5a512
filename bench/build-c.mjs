// Builds a one-file C benchmark tool, bench/<name>/<name>.c (with the shared headers in bench/c/),
// into build/<name> when the binary is missing or older than its sources (bench/wsload and
// bench/wsfloor use it).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));

const mtime = (f) => {
  try {
    return statSync(f).mtimeMs;
  } catch {
    return -1;
  }
};

/** Where `name`'s source and binary live. */
export function cToolPaths(name) {
  return {
    src: path.join(BENCH, name, `${name}.c`),
    bin: path.resolve(BENCH, '..', 'build', name),
  };
}

/**
 * The path of an up-to-date `name` binary, compiling it with `cc -O2` first if needed; null
 * (with the reason on stderr) when there is no C compiler or the build fails.
 */
export function buildCTool(name) {
  const { src, bin } = cToolPaths(name);
  const headers = readdirSync(path.join(BENCH, 'c')).map((f) => path.join(BENCH, 'c', f));
  if (mtime(bin) >= Math.max(mtime(src), ...headers.map(mtime))) return bin;
  const cc = process.env.CC ?? 'cc';
  mkdirSync(path.dirname(bin), { recursive: true });
  // Into a temporary name first, so a failed or concurrent build never leaves a broken binary.
  const tmp = `${bin}.${process.pid}.tmp`;
  const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-o', tmp, src], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    console.error(
      `${name}: cannot build ${src} with ${cc}: ${r.error?.message ?? `exit ${r.status}`}`,
    );
    return null;
  }
  renameSync(tmp, bin);
  return bin;
}

/** For a tool's build.mjs run as a script: build, print the path, exit 1 on failure. */
export function buildCToolCli(name) {
  const bin = buildCTool(name);
  if (bin === null) process.exit(1);
  console.log(bin);
}
