/* global fetch */
// Writes docs/admin-openapi.json from the admin routes' own descriptions (the test
// metrics-health.test.js fails when the file is out of date):  npm run build && node scripts/write-openapi.mjs &&
// npx prettier --write docs/admin-openapi.json
import { writeFileSync } from 'node:fs';
import { createTracker } from '../dist/index.js';
import { PRIVATE_OPENAPI_PATHS } from '../dist/admin/private-routes-openapi.js';

const t = await createTracker({
  listen: { http: ['127.0.0.1:0'], udp: ['127.0.0.1:0'] },
  log: { level: 'silent' },
  admin: { listen: '127.0.0.1:0', token: 'write-openapi-token-0000', processMetrics: false },
});
try {
  const res = await fetch(`http://127.0.0.1:${t.adminAddress.port}/openapi.json`);
  const doc = await res.json();
  // The private-mode routes too (served only in private mode, which needs a database here).
  Object.assign(doc.paths, PRIVATE_OPENAPI_PATHS);
  writeFileSync(
    new URL('../docs/admin-openapi.json', import.meta.url),
    `${JSON.stringify(doc, null, 2)}\n`,
  );
  console.log(`docs/admin-openapi.json: ${Object.keys(doc.paths).length} paths`);
} finally {
  await t.close();
}
