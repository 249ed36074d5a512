// Builds bench/wsload/wsload.c into build/wsload when it is missing or older than the source.
// `node bench/wsload/build.mjs` prints the binary's path; ws-load.js imports buildWsload().
import { fileURLToPath } from 'node:url';
import { buildCTool, buildCToolCli } from '../build-c.mjs';

export const buildWsload = () => buildCTool('wsload');

if (process.argv[1] === fileURLToPath(import.meta.url)) buildCToolCli('wsload');
