// Builds bench/wsfloor/wsfloor.c into build/wsfloor when it is missing or older than the source.
// `node bench/wsfloor/build.mjs` prints the binary's path; ws-load.js imports buildWsfloor().
import { fileURLToPath } from 'node:url';
import { buildCTool, buildCToolCli } from '../build-c.mjs';

export const buildWsfloor = () => buildCTool('wsfloor');

if (process.argv[1] === fileURLToPath(import.meta.url)) buildCToolCli('wsfloor');
